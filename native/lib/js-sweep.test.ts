// The plain-JS baseline reads the same fields as the addon: both agree on long-lived processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNative } from '../../scripts/build-native.ts';
import { startBusyProcess, type BusyProcess } from './busy-process.ts';
import { sweep } from './index.ts';
import { jsSweep } from './js-sweep.ts';
import type { ProcessSample } from './types.ts';

const stable = (p: ProcessSample) => ({ pid: p.pid, ppid: p.ppid, comm: p.comm, uid: p.uid, startTime: p.startTime, cgroup: p.cgroup });

describe('jsSweep', () => {
  let busy: BusyProcess;
  beforeAll(async () => {
    await buildNative();
    busy = await startBusyProcess(2);
  }, 180_000);
  afterAll(async () => {
    await busy?.stop();
  });

  it('agrees with the addon on long-lived processes and their threads', async () => {
    const addon = await sweep();
    const js = jsSweep();
    for (const pid of [1, process.pid, busy.pid]) {
      const a = addon.processes.find((p) => p.pid === pid)!;
      const j = js.processes.find((p) => p.pid === pid)!;
      expect(stable(j)).toEqual(stable(a));
    }
    const tids = (s: typeof js) => s.processes.find((p) => p.pid === busy.pid)!.threads.map((t) => t.tid).sort();
    expect(tids(js)).toEqual(tids(addon));
    expect(js.cores.map((c) => c.core)).toEqual(addon.cores.map((c) => c.core));
  });

  it('skips threads when asked to', () => {
    const js = jsSweep({ threads: false });
    expect(js.includesThreads).toBe(false);
    expect(js.processes.every((p) => p.threads.length === 0)).toBe(true);
    expect(js.processes.some((p) => p.pid === busy.pid)).toBe(true);
  });
});
