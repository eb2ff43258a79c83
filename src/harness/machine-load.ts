/**
 * How much CPU a run cost and how busy the machine was meanwhile.
 *
 * process.cpuUsage() is getrusage(RUSAGE_SELF): user and system time of every thread of the
 * process — the coordinator, the workers, LMDB's and the state snapshot threads alike. The whole
 * machine's busy time comes from the first line of /proc/stat (Linux; in clock ticks of 1/100 s,
 * USER_HZ, which is 100 on every Linux ABI Node runs on); what other processes used is that minus
 * this process's own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { MachineLoad } from './report-types.ts';

const userHz = 100;

export interface CpuSample {
  /** This process, user and system, µs. */
  own: NodeJS.CpuUsage;
  /** Busy time of all CPUs, seconds; null where /proc/stat is unreadable. */
  machineBusyS: number | null;
}

export function sampleCpu(): CpuSample {
  return { own: process.cpuUsage(), machineBusyS: machineBusyS() };
}

export interface CpuSpan {
  userS: number;
  systemS: number;
  /** CPU seconds other processes used between the samples; null where unreadable. */
  otherProcessesS: number | null;
}

export function cpuBetween(from: CpuSample, to: CpuSample): CpuSpan {
  const userS = (to.own.user - from.own.user) / 1e6;
  const systemS = (to.own.system - from.own.system) / 1e6;
  const machine = from.machineBusyS !== null && to.machineBusyS !== null ? to.machineBusyS - from.machineBusyS : null;
  // Ticks are coarse (10 ms per CPU): a small negative difference is rounding, not a measurement.
  return { userS, systemS, otherProcessesS: machine === null ? null : Math.max(0, machine - userS - systemS) };
}

/** user + nice + system + irq + softirq + steal of the aggregate "cpu" line (guest time is inside user). */
function machineBusyS(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + (irq || 0) + (softirq || 0) + (steal || 0);
    return Number.isFinite(busy) ? busy / userHz : null;
  } catch {
    return null;
  }
}

/** The distinct cpufreq scaling governors of the CPUs, or null where the kernel exposes none. */
export function cpuGovernors(): string[] | null {
  try {
    const cpus = readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d));
    const governors = new Set<string>();
    for (const cpu of cpus) {
      try {
        governors.add(readFileSync(`/sys/devices/system/cpu/${cpu}/cpufreq/scaling_governor`, 'utf8').trim());
      } catch {
        // This CPU has no cpufreq (a VM or a container often has none at all).
      }
    }
    return governors.size ? [...governors].sort() : null;
  } catch {
    return null;
  }
}

/**
 * When the machine counts as busy. Before the run: a 1-minute load average above half the cores
 * means other work is queued for them. During it: other processes using a quarter of a core or
 * more on average compete with the job's threads for caches and cores, and a governor other than
 * "performance" may change the clock under the measurement.
 */
const busyLoadPerCore = 0.5;
const busyOtherCores = 0.25;

export function machineLoad(input: { loadAverageBefore: number[]; loadAveragesDuring: number[]; otherProcessesCpuS: number | null; measuredS: number; cores: number; governors: string[] | null }): MachineLoad {
  const during = input.loadAveragesDuring;
  const loadAverageDuring = { mean: during.reduce((a, b) => a + b, 0) / Math.max(1, during.length), max: Math.max(0, ...during) };
  const otherProcessesCores = input.otherProcessesCpuS === null || input.measuredS <= 0 ? null : input.otherProcessesCpuS / input.measuredS;
  const warnings: string[] = [];
  if (input.loadAverageBefore[0] > busyLoadPerCore * input.cores) {
    warnings.push(`the 1-minute load average was ${input.loadAverageBefore[0].toFixed(2)} before the run, on ${input.cores} cores: other work was running`);
  }
  if (otherProcessesCores !== null && otherProcessesCores >= busyOtherCores) {
    warnings.push(`other processes used ${otherProcessesCores.toFixed(2)} cores on average during the measured windows (${input.otherProcessesCpuS!.toFixed(1)} CPU s): they competed with the job`);
  }
  if (input.governors && input.governors.some((g) => g !== 'performance')) {
    warnings.push(`the CPU frequency governor is ${input.governors.join(', ')}, not performance: the clock may change during a run`);
  }
  return { loadAverageBefore: input.loadAverageBefore, loadAverageDuring, otherProcessesCpuS: input.otherProcessesCpuS, otherProcessesCores, cpuGovernors: input.governors, warnings };
}

export const loadAverage = (): number[] => os.loadavg();
