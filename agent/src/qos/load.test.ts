import { describe, expect, it } from 'vitest';
import { computeLoad } from './load.ts';
import { fakeSweep } from './fake-sweep.ts';

describe('load between two sweeps', () => {
  it('splits CPU by class in percent of the machine, per process and per core', () => {
    const a = fakeSweep(0, [{ pid: 10, ticks: 0 }, { pid: 20, ticks: 0, cgroup: '/g' }, { pid: 30, ticks: 0, processor: 1 }], [{ busy: 0, idle: 0 }, { busy: 0, idle: 0 }]);
    // 1 s at 100 ticks/s on 2 cores = 200 machine ticks.
    const b = fakeSweep(1, [{ pid: 10, ticks: 100 }, { pid: 20, ticks: 50, cgroup: '/g' }, { pid: 30, ticks: 20, processor: 1 }], [{ busy: 100, idle: 0 }, { busy: 70, idle: 30 }]);
    const l = computeLoad(a, b, (p) => (p.cgroup.v2 === '/g' ? 'guest' : p.pid === 30 ? 'ignore' : 'owner'))!;
    expect(l.dtSeconds).toBe(1);
    expect(l.byClass).toEqual({ owner: 50, guest: 25, rule: 0, ignore: 10 });
    expect(l.perProcess.get('10:1')).toBe(50);
    expect(l.perCore).toEqual([100, 70]);
    expect(l.ownerPerCore).toEqual([100, 0]);
  });

  it('a new process (or a reused pid) counts all its time; no time passed → null', () => {
    const a = fakeSweep(0, [{ pid: 10, ticks: 500, startTime: 1 }]);
    const b = fakeSweep(1, [{ pid: 10, ticks: 40, startTime: 99 }]);
    expect(computeLoad(a, b, () => 'owner')!.byClass.owner).toBe(20);
    expect(computeLoad(a, a, () => 'owner')).toBeNull();
  });
});
