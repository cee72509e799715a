// The raw binding as the C++ (native/src/js_values.cc) produces it, and its decoding into the
// public types. C++ hands over packed numbers and joined strings because building thousands of
// small objects is far cheaper in JS than through N-API calls.
import type { CgroupMembership, CoreTimes, ProcessSample, Sweep, ThreadSample } from './types.ts';

export interface RawSweep {
  readonly timestampNs: bigint;
  readonly clkTck: number;
  readonly pageSize: number;
  readonly cores: Float64Array;
  readonly threads: boolean;
  /** 11 per process: pid, ppid, uid, processor, startTime, utime, stime, rssPages, cgroup index, first thread, thread count. */
  readonly processes: Float64Array;
  readonly processComms: string;
  readonly processStates: string;
  /** 5 per thread: tid, processor, startTime, utime, stime. */
  readonly threadRecords: Float64Array;
  readonly threadComms: string;
  readonly threadStates: string;
  /** Distinct /proc/<pid>/cgroup contents. */
  readonly cgroups: readonly string[];
}

export interface RawBinding {
  readonly backend: string;
  cpuCount(): number;
  cpuTimes(): Float64Array;
  sweep(threads: boolean): Promise<RawSweep>;
  getAffinity(tid: number): number[];
  setAffinity(tid: number, cores: number[]): void;
}

/** Shape of the errors the C++ throws (see ToJsError). */
export interface RawSysError extends Error {
  readonly errno: number;
  readonly syscall: string;
  readonly unsupported: boolean;
}

export function isRawSysError(e: unknown): e is RawSysError {
  return e instanceof Error && typeof (e as Partial<RawSysError>).errno === 'number' && typeof (e as Partial<RawSysError>).syscall === 'string';
}

export function decodeCoreTimes(a: Float64Array): CoreTimes[] {
  const out: CoreTimes[] = [];
  for (let i = 0; i + 9 <= a.length; i += 9) {
    out.push({ core: a[i]!, user: a[i + 1]!, nice: a[i + 2]!, system: a[i + 3]!, idle: a[i + 4]!, iowait: a[i + 5]!, irq: a[i + 6]!, softirq: a[i + 7]!, steal: a[i + 8]! });
  }
  return out;
}

/** Parses /proc/<pid>/cgroup text ("hierarchy:controllers:path" lines). */
export function parseCgroupFile(text: string): CgroupMembership {
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (line.slice(0, a) === '0' && controllers === '') v2 = path;
    else for (const c of controllers.split(',')) if (c) v1[c] = path;
  }
  return Object.freeze({ v1: Object.freeze(v1), v2 });
}

function splitNames(joined: string, count: number): string[] {
  return count === 0 ? [] : joined.split('\0');
}

export function decodeSweep(raw: RawSweep): Sweep {
  const cgroups = raw.cgroups.map(parseCgroupFile);
  const P = raw.processes;
  const T = raw.threadRecords;
  const pComms = splitNames(raw.processComms, P.length / 11);
  const tComms = splitNames(raw.threadComms, T.length / 5);
  const processes: ProcessSample[] = [];
  for (let n = 0, i = 0; i < P.length; n++, i += 11) {
    const pid = P[i]!;
    const first = P[i + 9]!;
    const count = P[i + 10]!;
    const threads: ThreadSample[] = [];
    for (let t = first; t < first + count; t++) {
      const j = t * 5;
      threads.push({ tid: T[j]!, pid, comm: tComms[t]!, state: raw.threadStates[t]!, startTime: T[j + 2]!, utime: T[j + 3]!, stime: T[j + 4]!, processor: T[j + 1]! });
    }
    processes.push({
      pid,
      ppid: P[i + 1]!,
      comm: pComms[n]!,
      state: raw.processStates[n]!,
      uid: P[i + 2]!,
      startTime: P[i + 4]!,
      utime: P[i + 5]!,
      stime: P[i + 6]!,
      processor: P[i + 3]!,
      rssBytes: P[i + 7]! * raw.pageSize,
      cgroup: cgroups[P[i + 8]!]!,
      threads,
    });
  }
  return {
    timestampNs: raw.timestampNs,
    clockTicksPerSecond: raw.clkTck,
    pageSize: raw.pageSize,
    cores: decodeCoreTimes(raw.cores),
    processes,
    includesThreads: raw.threads,
  };
}
