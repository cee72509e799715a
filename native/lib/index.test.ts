// The addon against the kernel's own view (/proc read here, in the test) on real processes.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonFile, buildNative } from '../../scripts/build-native.ts';
import { startBusyProcess, type BusyProcess } from './busy-process.ts';
import { parseCgroupFile } from './raw.ts';
import {
  cpuCount,
  cpuTimes,
  createNativeApi,
  getAffinity,
  NativeArgumentError,
  NativeError,
  locateAddon,
  nativeAddonError,
  setAffinity,
  sweep,
  type ProcessSample,
} from './index.ts';

const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
const WORKERS = 3;

function procStatCores(): Array<{ core: number; values: number[] }> {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const [name, ...rest] = l.trim().split(/\s+/);
      return { core: Number(name!.slice(3)), values: rest.slice(0, 8).map(Number) };
    });
}

const taskIds = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
const statFields = (path: string): string[] => {
  const text = readFileSync(path, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' '); // [0] is field 3
};
/** The kernel's own rendering of a thread's affinity, e.g. "0-1" or "0". */
const cpusAllowedList = (pid: number, tid: number): string =>
  /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await buildNative();
}, 180_000);

describe('cpuTimes', () => {
  it('matches /proc/stat read around it, core by core', () => {
    const before = procStatCores();
    const got = cpuTimes();
    const after = procStatCores();
    expect(got.map((c) => c.core)).toEqual(before.map((c) => c.core));
    got.forEach((c, i) => {
      FIELDS.forEach((f, j) => {
        expect(c[f]).toBeGreaterThanOrEqual(before[i]!.values[j]!);
        expect(c[f]).toBeLessThanOrEqual(after[i]!.values[j]!);
      });
      expect(c.user + c.system + c.idle).toBeGreaterThan(0);
    });
  });
});

describe('sweep', () => {
  let busy: BusyProcess;
  beforeAll(async () => {
    busy = await startBusyProcess(WORKERS);
  });
  afterAll(async () => {
    await busy?.stop();
  });

  const find = async (threads = true): Promise<ProcessSample> => {
    const s = await sweep({ threads });
    const p = s.processes.find((x) => x.pid === busy.pid);
    if (!p) throw new Error(`pid ${busy.pid} missing from the sweep`);
    return p;
  };

  it('finds a spawned process with its owner, cgroup, memory and start time', async () => {
    const s = await sweep();
    expect(s.includesThreads).toBe(true);
    expect(s.clockTicksPerSecond).toBeGreaterThan(0);
    expect(s.pageSize).toBeGreaterThanOrEqual(4096);
    expect(s.cores.map((c) => c.core)).toEqual(procStatCores().map((c) => c.core));
    const p = s.processes.find((x) => x.pid === busy.pid)!;
    expect(p).toBeDefined();
    const stat = statFields(`/proc/${busy.pid}/stat`);
    expect(p.ppid).toBe(process.pid);
    expect(p.comm).toBe(readFileSync(`/proc/${busy.pid}/comm`, 'utf8').trimEnd());
    expect(p.uid).toBe(process.getuid!());
    expect(p.startTime).toBe(Number(stat[19]));
    expect(p.cgroup).toEqual(parseCgroupFile(readFileSync(`/proc/${busy.pid}/cgroup`, 'utf8')));
    expect(p.rssBytes).toBeGreaterThan(0);
    expect('RSDZTtWXIP').toContain(p.state);
    expect(p.processor).toBeGreaterThanOrEqual(0);
    expect(p.processor).toBeLessThan(cpuCount());
    // Every process in the table is whole, and pid 1 is always there.
    expect(s.processes.find((x) => x.pid === 1)).toBeDefined();
    for (const q of s.processes) expect(q.threads.length).toBeGreaterThanOrEqual(1);
  });

  it('lists exactly the threads the kernel lists, and the busy workers burn CPU', async () => {
    let tids: number[] = [];
    let listed: number[] = [];
    // Compare only against a listing that did not change around the sweep.
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = taskIds(busy.pid);
      tids = (await find()).threads.map((t) => t.tid).sort((a, b) => a - b);
      listed = taskIds(busy.pid);
      if (before.join() === listed.join()) break;
    }
    expect(tids).toEqual(listed);
    expect(tids.length).toBeGreaterThan(WORKERS + 1); // main + workers + Node's own threads
    for (const w of busy.workerTids) expect(tids).toContain(w);

    // Each worker spins: wait until each has used >= 10 ticks (generous deadline, no timing asserted).
    const burned = async () => {
      const p = await find();
      return busy.workerTids.map((w) => {
        const t = p.threads.find((x) => x.tid === w)!;
        return t.utime + t.stime;
      });
    };
    const deadline = performance.now() + 45_000;
    let ticks = await burned();
    while (ticks.some((t) => t < 10) && performance.now() < deadline) {
      await sleep(200);
      ticks = await burned();
    }
    expect(ticks.every((t) => t >= 10)).toBe(true);
    const p = await find();
    const main = p.threads.find((t) => t.tid === busy.pid)!;
    expect(main.comm).toBe(p.comm);
    for (const t of p.threads) {
      expect(t.pid).toBe(busy.pid);
      expect(t.startTime).toBeGreaterThanOrEqual(p.startTime);
    }
    const sum = p.threads.reduce((a, t) => a + t.utime + t.stime, 0);
    // The process total also counts exited threads and is read a moment earlier: close to the sum.
    expect(p.utime + p.stime).toBeGreaterThanOrEqual(sum * 0.5);
  });

  it('reads processes only when asked to', async () => {
    const s = await sweep({ threads: false });
    expect(s.includesThreads).toBe(false);
    const p = s.processes.find((x) => x.pid === busy.pid)!;
    expect(p.threads).toEqual([]);
    expect(p.uid).toBe(process.getuid!());
  });

  it('keeps going while processes come and go mid-sweep', async () => {
    const churn = spawn('/bin/sh', ['-c', 'while :; do /bin/true & /bin/true; done'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 15; i++) {
        const s = await sweep();
        for (const q of s.processes) {
          expect(q.threads.length).toBeGreaterThanOrEqual(1);
          expect(q.comm.length).toBeGreaterThan(0);
        }
      }
    } finally {
      churn.kill('SIGKILL');
    }
  });

  it('rejects bad options naming them', async () => {
    await expect(sweep({ threads: 'yes' as unknown as boolean })).rejects.toThrow(/^options\.threads: must be a boolean/);
  });

  describe('affinity', () => {
    it('sets and reads back one thread of a running process, leaving its siblings alone', () => {
      const [pinned, other] = busy.workerTids as [number, number];
      const all = getAffinity(other);
      expect(all.length).toBeGreaterThanOrEqual(1);
      const last = all[all.length - 1]!;
      try {
        setAffinity(pinned, [last]);
        expect(getAffinity(pinned)).toEqual([last]);
        expect(cpusAllowedList(busy.pid, pinned)).toBe(String(last));
        expect(getAffinity(other)).toEqual(all);
      } finally {
        setAffinity(pinned, all);
      }
      expect(getAffinity(pinned)).toEqual(all);
    });

    it('moves a spinning thread: it last ran on the core it was pinned to', async () => {
      const tid = busy.workerTids[0]!;
      const all = getAffinity(tid);
      try {
        const thread = async () => (await find()).threads.find((x) => x.tid === tid)!;
        for (const core of all) {
          setAffinity(tid, [core]);
          // Once it has run since the move (its ticks grew), it can only have run there.
          const t0 = await thread();
          let t = t0;
          const deadline = performance.now() + 20_000;
          while (t.utime + t.stime === t0.utime + t0.stime && performance.now() < deadline) {
            await sleep(100);
            t = await thread();
          }
          expect(t.utime + t.stime).toBeGreaterThan(t0.utime + t0.stime);
          expect(t.processor).toBe(core);
        }
      } finally {
        setAffinity(tid, all);
      }
    });
  });
});

describe('affinity errors', () => {
  it('reports ESRCH for a thread that no longer exists', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    const expectEsrch = (f: () => unknown, syscall: string) => {
      try {
        f();
        expect.unreachable('should throw');
      } catch (err) {
        expect(err).toBeInstanceOf(NativeError);
        expect(err).toMatchObject({ code: 'ESRCH', errno: 3, syscall });
      }
    };
    expectEsrch(() => getAffinity(pid), 'sched_getaffinity');
    expectEsrch(() => setAffinity(pid, [0]), 'sched_setaffinity');
  });

  it('rejects bad arguments in TypeScript, naming them', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => getAffinity(0), /^tid: must be a thread id >= 1 \(got 0\)/],
      [() => getAffinity(-5), /^tid: /],
      [() => getAffinity(1.5), /^tid: must be an integer/],
      [() => getAffinity('12' as unknown as number), /^tid: must be a number/],
      [() => setAffinity(process.pid, []), /^cores: must name at least one core/],
      [() => setAffinity(process.pid, [-1]), /^cores\[0\]: must be a core number >= 0/],
      [() => setAffinity(process.pid, [0, 0.5]), /^cores\[1\]: must be an integer/],
      [() => setAffinity(process.pid, [cpuCount()]), new RegExp(`^cores\\[0\\]: core ${cpuCount()} is beyond this machine's ${cpuCount()} CPUs`)],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(NativeArgumentError);
      expect(f).toThrow(message);
    }
    expect(getAffinity(process.pid).length).toBeGreaterThanOrEqual(1); // nothing changed
  });
});

describe('loading', () => {
  it('reports no error for the built addon', () => {
    expect(nativeAddonError()).toBeNull();
  });

  it('locates the addon from the sources, from the agent bundle, and through $PHANTOM_NATIVE_ADDON', () => {
    const repo = join(import.meta.dirname, '..', '..');
    expect(locateAddon(import.meta.dirname)).toBe(addonFile);
    expect(locateAddon(join(repo, 'dist', 'agent'))).toBe(addonFile);
    const elsewhere = mkdtempSync(join(tmpdir(), 'phantom-native-'));
    const saved = process.env.PHANTOM_NATIVE_ADDON;
    try {
      expect(locateAddon(elsewhere)).toBe(join(elsewhere, 'native', 'build', 'Release', 'phantom_native.node'));
      process.env.PHANTOM_NATIVE_ADDON = join(elsewhere, 'x.node');
      expect(locateAddon(import.meta.dirname)).toBe(join(elsewhere, 'x.node'));
    } finally {
      if (saved === undefined) delete process.env.PHANTOM_NATIVE_ADDON;
      else process.env.PHANTOM_NATIVE_ADDON = saved;
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('picks up an addon that appears after a failed first load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-native-'));
    try {
      const api = createNativeApi({ addonPath: join(dir, 'phantom_native.node') });
      expect(api.nativeAddonError()).toMatch(/npm run build:native/);
      copyFileSync(addonFile, join(dir, 'phantom_native.node'));
      expect(api.nativeAddonError()).toBeNull();
      expect(api.cpuTimes().length).toBe(procStatCores().length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
