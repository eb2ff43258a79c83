// Nexmark q10, log to file system: every bid, into files partitioned by its day and minute.
//   INSERT INTO fs_sink SELECT auction, bidder, price, dateTime, extra,
//          DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm') FROM bid
//   (fs_sink: PARTITIONED BY (dt, hm), the filesystem connector)
// The partitions are directories, as the filesystem connector writes them: `dt=2026-12-07/hm=10:15`
// under the sink's directory, holding the rows without their partition columns, in part files a
// checkpoint commits (transactionalFileSink with a bucket: exactly-once). Times are read in UTC.
// That is sink=file, which writes them under `dir` (default `q10`, in the run's work dir), and what
// `weir bench nexmark` runs; sink=collect (the default) and sink=discard, as every query has them,
// give the rows with `dt` and `hm` as columns.
import { defineJob } from '../../api/job.ts';
import { transactionalFileSink } from '../../connectors/transactional-file/sink.ts';
import { dayOf, minuteOf } from '../calculations.ts';
import { bidsOf, nexmarkInput, nexmarkSink } from '../job-input.ts';
import { bidRow, type BidRow, type PartitionedBidRow } from '../rows.ts';

/** A row's partition directory, as the filesystem connector names it. */
export const q10Partition = (dateTimeMs: number) => `dt=${dayOf(dateTimeMs)}/hm=${minuteOf(dateTimeMs)}`;

export default defineJob(
  (env) => {
    const bids = bidsOf(nexmarkInput(env));
    if (env.params.sink === 'file') {
      bids
        .map(bidRow, { name: 'q10-row' })
        .sinkTo(transactionalFileSink<BidRow>({ dir: env.params.dir ?? 'q10', name: 'q10', bucket: (r) => q10Partition(r.dateTime) }));
      return;
    }
    bids
      .map(
        // A literal, not a spread of bidRow(b): a spread per row made q10's plain program 1.5 times as slow.
        (b): PartitionedBidRow => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra, dt: dayOf(b.dateTime), hm: minuteOf(b.dateTime) }),
        { name: 'q10-row' },
      )
      .sinkTo(nexmarkSink<PartitionedBidRow>(env, 'q10'));
  },
  { name: 'nexmark-q10' },
);
