// The same sweep as the addon's, in plain JavaScript with synchronous reads: the baseline the qos
// benchmark measures the addon against, and a reader that works where the addon is not built.
// It reads the same files and fields the C++ does (native/src/linux/sweep.cc).
import { readdirSync, readFileSync } from 'node:fs';
import { parseCgroupFile } from './raw.ts';
import type { CgroupMembership, CoreTimes, ProcessSample, Sweep, SweepOptions, ThreadSample } from './types.ts';

export interface JsSweepOptions extends SweepOptions {
  /** JS cannot call sysconf: Linux's USER_HZ and page size on x86-64 and most arm64 builds. */
  readonly clockTicksPerSecond?: number;
  readonly pageSize?: number;
}

interface StatFields {
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  startTime: number;
  rssPages: number;
  processor: number;
}

function parseStat(text: string): StatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // f[0] is field 3 (state) of proc(5).
  const f = text.slice(close + 2).split(' ');
  if (f.length < 22) return null;
  return {
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: Number(f[1]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    startTime: Number(f[19]),
    rssPages: Number(f[21]),
    processor: f.length > 36 ? Number(f[36]) : -1,
  };
}

function tryRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process exited meanwhile
  }
}

export function readCoreTimesJs(): CoreTimes[] {
  const out: CoreTimes[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = m[2]!.trim().split(/\s+/).map(Number);
    out.push({ core: Number(m[1]), user, nice, system, idle, iowait, irq, softirq, steal });
  }
  return out;
}

function readThreads(pid: number): ThreadSample[] {
  const out: ThreadSample[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const name of tids) {
    const text = tryRead(`/proc/${pid}/task/${name}/stat`);
    const st = text && parseStat(text);
    if (!st) continue;
    out.push({ tid: Number(name), pid, comm: st.comm, state: st.state, startTime: st.startTime, utime: st.utime, stime: st.stime, processor: st.processor });
  }
  return out;
}

export function jsSweep(options: JsSweepOptions = {}): Sweep {
  const withThreads = options.threads ?? true;
  const pageSize = options.pageSize ?? 4096;
  const timestampNs = process.hrtime.bigint();
  const cores = readCoreTimesJs();
  const cgroups = new Map<string, CgroupMembership>();
  const processes: ProcessSample[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const statText = tryRead(`/proc/${name}/stat`);
    const st = statText && parseStat(statText);
    if (!st) continue;
    const status = tryRead(`/proc/${name}/status`);
    const uid = status && /\nUid:\s+(\d+)/.exec(status);
    if (!uid) continue;
    const cgroupText = tryRead(`/proc/${name}/cgroup`);
    if (cgroupText === null) continue;
    let cgroup = cgroups.get(cgroupText);
    if (!cgroup) cgroups.set(cgroupText, (cgroup = parseCgroupFile(cgroupText)));
    const threads = withThreads ? readThreads(pid) : [];
    if (withThreads && threads.length === 0) continue;
    processes.push({
      pid,
      ppid: st.ppid,
      comm: st.comm,
      state: st.state,
      uid: Number(uid[1]),
      startTime: st.startTime,
      utime: st.utime,
      stime: st.stime,
      processor: st.processor,
      rssBytes: st.rssPages * pageSize,
      cgroup,
      threads,
    });
  }
  return { timestampNs, clockTicksPerSecond: options.clockTicksPerSecond ?? 100, pageSize, cores, processes, includesThreads: withThreads };
}
