// Builds native Sweep values for unit tests of the sampling math (the real addon is exercised by
// native/'s own tests and test/qos).
import type { CoreTimes, ProcessSample, Sweep } from '../../../native/lib/index.ts';

export interface FakeProcess {
  readonly pid: number;
  readonly ppid?: number;
  readonly comm?: string;
  /** utime + stime so far. */
  readonly ticks: number;
  readonly cgroup?: string;
  readonly processor?: number;
  readonly startTime?: number;
}

export function fakeSweep(tSeconds: number, procs: readonly FakeProcess[], coreTicks: readonly { busy: number; idle: number }[] = [{ busy: 0, idle: 0 }, { busy: 0, idle: 0 }]): Sweep {
  const processes: ProcessSample[] = procs.map((p) => ({
    pid: p.pid, ppid: p.ppid ?? 1, comm: p.comm ?? `p${p.pid}`, state: 'R', uid: 0, startTime: p.startTime ?? 1, utime: p.ticks, stime: 0,
    processor: p.processor ?? 0, rssBytes: 0, cgroup: { v1: { cpu: p.cgroup ?? '/' }, v2: p.cgroup ?? '/' },
    threads: [{ tid: p.pid, pid: p.pid, comm: p.comm ?? `p${p.pid}`, state: 'R', startTime: p.startTime ?? 1, utime: p.ticks, stime: 0, processor: p.processor ?? 0 }],
  }));
  const cores: CoreTimes[] = coreTicks.map((c, core) => ({ core, user: c.busy, nice: 0, system: 0, idle: c.idle, iowait: 0, irq: 0, softirq: 0, steal: 0 }));
  return { timestampNs: BigInt(Math.round(tSeconds * 1e9)), clockTicksPerSecond: 100, pageSize: 4096, cores, processes, includesThreads: true };
}
