// CPU load between two sweeps, in percent of the whole machine (100 = every core busy): per
// process, per core, and summed by who the process belongs to. Pure.
import type { ProcessSample, Sweep } from '../../../native/lib/index.ts';

/** Who a process's CPU time counts for. */
export type Owner = 'owner' | 'guest' | 'rule' | 'ignore';

export interface Load {
  readonly dtSeconds: number;
  /** Key `${pid}:${startTime}` so a reused pid is a new process. */
  readonly perProcess: ReadonlyMap<string, number>;
  /** Busy percent of each core (0–100 of that core). */
  readonly perCore: readonly number[];
  /** Sum per class, percent of the machine. */
  readonly byClass: Readonly<Record<Owner, number>>;
  /** Owner load per core (percent of that core), by the core each owner thread last ran on. */
  readonly ownerPerCore: readonly number[];
}

export const processKey = (p: { pid: number; startTime: number }): string => `${p.pid}:${p.startTime}`;

export function computeLoad(prev: Sweep, cur: Sweep, classify: (p: ProcessSample) => Owner): Load | null {
  const dtSeconds = Number(cur.timestampNs - prev.timestampNs) / 1e9;
  if (!(dtSeconds > 0)) return null;
  const hz = cur.clockTicksPerSecond;
  const ncpu = Math.max(1, cur.cores.length);
  const machineTicks = dtSeconds * hz * ncpu;

  const before = new Map<string, ProcessSample>();
  for (const p of prev.processes) before.set(processKey(p), p);
  const threadsBefore = new Map<number, number>();
  for (const p of prev.processes) for (const t of p.threads) threadsBefore.set(t.tid, t.utime + t.stime);

  const perProcess = new Map<string, number>();
  const byClass: Record<Owner, number> = { owner: 0, guest: 0, rule: 0, ignore: 0 };
  const ownerCoreTicks = new Array<number>(ncpu).fill(0);
  for (const p of cur.processes) {
    const key = processKey(p);
    const old = before.get(key);
    // A process born since the last sweep: all its time falls in this interval.
    const ticks = Math.max(0, p.utime + p.stime - (old ? old.utime + old.stime : 0));
    const pct = (ticks / machineTicks) * 100;
    perProcess.set(key, pct);
    const cls = classify(p);
    byClass[cls] += pct;
    if (cls === 'owner') {
      for (const t of p.threads) {
        const d = t.utime + t.stime - (old ? (threadsBefore.get(t.tid) ?? 0) : 0);
        if (d > 0 && t.processor < ncpu) ownerCoreTicks[t.processor]! += d;
      }
    }
  }

  const prevCores = new Map(prev.cores.map((c) => [c.core, c]));
  const perCore = cur.cores.map((c) => {
    const o = prevCores.get(c.core);
    if (!o) return 0;
    const idle = c.idle + c.iowait - (o.idle + o.iowait);
    const total = c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.softirq + c.steal
      - (o.user + o.nice + o.system + o.idle + o.iowait + o.irq + o.softirq + o.steal);
    return total > 0 ? Math.min(100, Math.max(0, (1 - idle / total) * 100)) : 0;
  });
  const ownerPerCore = ownerCoreTicks.map((t) => Math.min(100, (t / (dtSeconds * hz)) * 100));
  for (const k of Object.keys(byClass) as Owner[]) byClass[k] = Math.min(100, byClass[k]);
  return { dtSeconds, perProcess, perCore, byClass, ownerPerCore };
}
