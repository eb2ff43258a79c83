/**
 * Membership of a Kafka consumer group, only to learn which partitions of a topic this process
 * owns (the scale-out runner, scale-out/scale-out.ts). It speaks the classic group protocol itself —
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup through kafkajs's Broker — rather than through a
 * kafkajs consumer, for one reason: a kafkajs consumer rejoins as soon as the coordinator
 * announces a rebalance and has no "partitions revoked" hook, so the process would keep working on
 * partitions the group is already handing to another member. Here the caller decides when to
 * rejoin: after its job has stopped with a final checkpoint of the partitions it gives up.
 *
 * The group uses protocol type 'consumer' with the standard subscription and assignment
 * encodings (kafkajs's AssignerProtocol), so kafka-consumer-groups --describe shows who owns
 * what. The leader assigns with a range rule over the member ids in sorted order (Kafka's
 * RangeAssignor for one topic): member i of m gets partitions ⌊i·P/m⌋ … ⌊(i+1)·P/m⌋ − 1.
 */
import { WeirError } from '../../errors.ts';
import { checkConnection, kafkaCluster, kafkaError, kafkajs, type KafkaConnectionOptions } from './connection.ts';
import { coordinatorType, type Broker, type Cluster } from './kafkajs-internals.ts';

export interface GroupAssignment {
  generationId: number;
  memberId: string;
  /** This member's partitions of the topic, ascending. */
  partitions: number[];
}

export interface GroupMemberOptions extends KafkaConnectionOptions {
  groupId: string;
  topic: string;
  /** The topic's partition count. */
  partitions: number;
  /** The coordinator drops a member it has not heard from for this long. Default 10 s. */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for every member to rejoin in a rebalance. Default 60 s. */
  rebalanceTimeoutMs?: number;
  /** Default sessionTimeoutMs / 5. */
  heartbeatIntervalMs?: number;
}

/** The protocol name the members agree on (all members of a weir group run the same code). */
const protocolName = 'weir-range';
/** How long a leader waits before its SyncGroup (see join()). */
const leaderSyncDelayMs = 250;
/** Answers meaning "the group has moved on: rejoin". */
const rejoinTypes = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** Partitions of member `index` of `members` under the range rule. */
export function rangeAssignment(partitions: number, members: number, index: number): number[] {
  const from = Math.floor((index * partitions) / members);
  const to = Math.floor(((index + 1) * partitions) / members);
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export class KafkaGroupMember {
  private readonly cluster: Cluster;
  private memberId = '';
  private generationId = -1;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly who: string;

  constructor(private readonly o: GroupMemberOptions) {
    this.who = `Kafka group ${o.groupId}`;
    checkConnection(o, this.who);
    this.sessionTimeoutMs = o.sessionTimeoutMs ?? 10_000;
    this.rebalanceTimeoutMs = o.rebalanceTimeoutMs ?? 60_000;
    this.heartbeatIntervalMs = o.heartbeatIntervalMs ?? Math.max(100, Math.floor(this.sessionTimeoutMs / 5));
    // A connection of its own: a mock or real coordinator may hold a JoinGroup for seconds.
    this.cluster = kafkaCluster(o, 1);
  }

  /** Joins (or rejoins) the group and returns this member's assignment. Retries until it gets one. */
  async join(): Promise<GroupAssignment> {
    await this.cluster.connect();
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinator = await this.coordinator();
        const metadata = kafkajs().AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [this.o.topic], userData: Buffer.alloc(0) });
        const joined = await coordinator.joinGroup({
          groupId: this.o.groupId,
          sessionTimeout: this.sessionTimeoutMs,
          rebalanceTimeout: this.rebalanceTimeoutMs,
          memberId: this.memberId,
          protocolType: 'consumer',
          groupProtocols: [{ name: protocolName, metadata }],
        });
        this.memberId = joined.memberId;
        this.generationId = joined.generationId;
        const groupAssignment =
          joined.leaderId === joined.memberId
            ? joined.members
                .map((m) => m.memberId)
                .sort()
                .map((memberId, i, all) => ({
                  memberId,
                  memberAssignment: kafkajs().AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { [this.o.topic]: rangeAssignment(this.o.partitions, all.length, i) }, userData: Buffer.alloc(0) }),
                }))
            : [];
        // The leader syncs last: librdkafka's mock broker (the tests' Kafka) completes the sync
        // with the leader's assignments and then refuses a follower's SyncGroup that arrives
        // after it (INVALID_REQUEST), where Kafka answers it. On Kafka this costs one short pause.
        if (groupAssignment.length > 1) await sleep(leaderSyncDelayMs);
        const synced = await coordinator.syncGroup({ groupId: this.o.groupId, generationId: joined.generationId, memberId: joined.memberId, groupAssignment });
        const decoded = synced.memberAssignment.length > 0 ? kafkajs().AssignerProtocol.MemberAssignment.decode(synced.memberAssignment) : null;
        const partitions = [...(decoded?.assignment[this.o.topic] ?? [])].sort((a, b) => a - b);
        return { generationId: joined.generationId, memberId: joined.memberId, partitions };
      } catch (err) {
        const type = (err as { type?: string }).type ?? '';
        if (type === 'UNKNOWN_MEMBER_ID') this.memberId = '';
        if (!rejoinTypes.has(type) && !(err as { retriable?: boolean }).retriable && attempt >= 5) {
          throw kafkaError('WEIR_SOURCE', `${this.who}: cannot join`, err);
        }
        await sleep(Math.min(100 * 2 ** Math.min(attempt, 5), 2_000));
      }
    }
  }

  /**
   * Heartbeats until the coordinator says the group is rebalancing (or that this member is no
   * longer in it), or until `stop` settles. Resolves 'rebalance' or 'stopped'. Between two
   * heartbeats it runs `between` (the runner commits offsets there).
   */
  async heartbeatUntilRebalance(stop: Promise<unknown>, between?: () => Promise<void>): Promise<'rebalance' | 'stopped'> {
    let stopped = false;
    void stop.then(() => (stopped = true), () => (stopped = true));
    let lastOkMs = Date.now();
    while (!stopped) {
      await Promise.race([sleep(this.heartbeatIntervalMs), stop.catch(() => {})]);
      if (stopped) break;
      try {
        const coordinator = await this.coordinator();
        await coordinator.heartbeat({ groupId: this.o.groupId, groupGenerationId: this.generationId, memberId: this.memberId });
        lastOkMs = Date.now();
      } catch (err) {
        const type = (err as { type?: string }).type ?? '';
        if (type === 'UNKNOWN_MEMBER_ID') this.memberId = '';
        if (rejoinTypes.has(type)) return 'rebalance';
        // Unreachable coordinator: past the session timeout the group has surely dropped us.
        if (Date.now() - lastOkMs > this.sessionTimeoutMs) return 'rebalance';
        continue;
      }
      if (between) await between();
    }
    return 'stopped';
  }

  /**
   * Commits `offsets` (partition → next offset to read) as this member of the current
   * generation, as a consumer commits. Returns false when the group refused it because it is
   * rebalancing (the next owner commits them).
   */
  async commitOffsets(offsets: Map<number, number>): Promise<boolean> {
    if (offsets.size === 0 || this.generationId < 0) return true;
    try {
      const coordinator = await this.coordinator();
      await coordinator.offsetCommit({
        groupId: this.o.groupId,
        groupGenerationId: this.generationId,
        memberId: this.memberId,
        topics: [{ topic: this.o.topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })) }],
      });
      return true;
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (rejoinTypes.has(type) || (err as { retriable?: boolean }).retriable) return false;
      throw kafkaError('WEIR_SOURCE', `${this.who}: cannot commit offsets`, err);
    }
  }

  /** Leaves the group (the others rebalance at once rather than after the session timeout) and disconnects. */
  async leave(): Promise<void> {
    try {
      if (this.memberId !== '') await (await this.coordinator()).leaveGroup({ groupId: this.o.groupId, memberId: this.memberId });
    } catch {
      // the session timeout removes us anyway
    } finally {
      this.memberId = '';
      this.generationId = -1;
      await this.cluster.disconnect().catch(() => {});
    }
  }

  private async coordinator(): Promise<Broker> {
    try {
      return await this.cluster.findGroupCoordinator({ groupId: this.o.groupId, coordinatorType: coordinatorType.group });
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new WeirError('WEIR_SOURCE', String(err)), { retriable: true });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
