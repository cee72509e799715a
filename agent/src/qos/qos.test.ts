// createQos end to end against a fake cgroup v2 tree, scripted sweeps and an injected clock.
// The same component on real cgroups and the real addon: test/qos/enforcement.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_QOS_POLICY, type MigrateRequest } from '../../../contract/index.ts';
import type { Sweep } from '../../../native/lib/index.ts';
import { silentLogger } from '../log.ts';
import { fakeSweep, type FakeProcess } from './fake-sweep.ts';
import { createQos, QosLimitsError, type Qos } from './qos.ts';

const MiB = 1024 * 1024;
let mount: string;
let now: number;
let pending: Array<{ at: number; fn: () => void; cancelled: boolean }>;
let sweeps: number;
let procs: FakeProcess[];
let ownerTicks: number;
let qos: Qos;

const read = (f: string) => readFileSync(join(mount, 'phantom-grid/guests', f), 'utf8');

function makeQos(extra: Partial<Parameters<typeof createQos>[0]> = {}): Qos {
  return createQos({
    log: silentLogger(),
    clock: { now: () => now },
    wallClock: () => new Date(2026, 10, 25, 12, 0).getTime() + now,
    timers: { set: (ms, fn) => { const t = { at: now + ms, fn, cancelled: false }; pending.push(t); return { cancel: () => { t.cancelled = true; } }; } },
    native: { sweep: async (): Promise<Sweep> => { sweeps++; return fakeSweep(now / 1000, procs); } },
    layout: { kind: 'v2', mount, controllers: ['cpuset', 'cpu', 'memory'] },
    cpuCount: 2,
    totalMemoryBytes: 8192 * MiB,
    selfPid: 1,
    idle: { idleSeconds: () => ({ value: null, source: 'test: unknown' }) },
    battery: { onBattery: () => ({ value: false, source: 'test' }) },
    policy: { sampleHz: 1, sampleHzWithoutGuests: 1, ownerBusyPercent: 10, inputActiveSeconds: 5, quietSeconds: 5, headroomPercent: 5, migrateAfterSeconds: 3 },
    ...extra,
  });
}

/** One monitor step one second later, with the owner having used `ownerPercent` of the machine. */
async function step(ownerPercent: number): Promise<void> {
  now += 1000;
  ownerTicks += (ownerPercent / 100) * 200;
  procs = [{ pid: 10, ticks: ownerTicks }, { pid: 4242, ticks: 0, cgroup: '/phantom-grid/guests' }];
  await qos.sample();
}

beforeEach(() => {
  mount = mkdtempSync(join(tmpdir(), 'qos-'));
  writeFileSync(join(mount, 'cgroup.subtree_control'), '');
  for (const g of ['phantom-grid', 'phantom-grid/guests']) {
    mkdirSync(join(mount, g));
    for (const f of ['cgroup.subtree_control', 'cgroup.procs', 'cpu.idle', 'cpu.weight', 'cpu.max', 'cpuset.cpus', 'memory.max']) writeFileSync(join(mount, g, f), '');
    writeFileSync(join(mount, g, 'cgroup.controllers'), 'cpuset cpu memory');
  }
  writeFileSync(join(mount, 'phantom-grid/guests/cpu.stat'), 'usage_usec 0\n');
  writeFileSync(join(mount, 'phantom-grid/guests/memory.current'), String(300 * MiB));
  now = 0;
  pending = [];
  sweeps = 0;
  ownerTicks = 0;
  procs = [];
});
afterEach(async () => {
  await qos.stop();
  rmSync(mount, { recursive: true, force: true });
});

describe('createQos', () => {
  it('applies the donation at start: idle group, 50% of the machine, 25% of memory', async () => {
    qos = makeQos();
    await qos.start();
    expect(read('cpu.max')).toBe('100000 100000');
    expect(read('cpu.idle')).toBe('1');
    expect(readFileSync(join(mount, 'phantom-grid/cpu.idle'), 'utf8')).toBe('1'); // the top group competes with the owner
    expect(read('memory.max')).toBe(String(2048 * MiB));
    expect(qos.status()).toMatchObject({ enabled: true, layout: 'v2', guestGroup: 'phantom-grid/guests', mode: 'run', applied: { cpuPercent: 50, idle: true, memoryMiB: 2048 } });
    expect(qos.placeGuest(4242, { id: 'g1' })).toBe(true);
    expect(read('cgroup.procs')).toBe('4242');
  });

  it('throttles at the first sample that sees the owner and releases only after the quiet period', async () => {
    qos = makeQos();
    await qos.start();
    await step(0);
    await step(0);
    expect(qos.status().mode).toBe('run');
    await step(50); // the owner starts using one core
    expect(qos.status()).toMatchObject({ mode: 'throttled', owner: { state: 'active' } });
    expect(read('cpu.max')).toBe('90000 100000'); // 100 − 50 peak − 5 headroom = 45% of 2 cores
    for (let i = 0; i < 4; i++) {
      await step(0);
      expect(qos.status().mode).toBe('throttled');
    }
    await step(30); // a spike inside the quiet period restarts the wait
    for (let i = 0; i < 4; i++) await step(0);
    expect(qos.status().mode).toBe('throttled');
    await step(0);
    expect(qos.status()).toMatchObject({ mode: 'run', owner: { state: 'away' } });
    expect(read('cpu.max')).toBe('100000 100000');
  });

  it('asks to migrate the guests when the owner\'s pressure outlasts the policy time, once', async () => {
    const asked: MigrateRequest[] = [];
    qos = makeQos();
    qos.on('migrate-request', (r) => asked.push(r));
    await qos.start();
    qos.placeGuest(4242, { id: 'g1' });
    await step(0);
    for (let i = 0; i < 3; i++) await step(90);
    expect(asked).toEqual([]);
    await step(90);
    await step(90);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ reason: 'owner-pressure', guests: ['g1'] });
  });

  it('rejects invalid limits with the field named and keeps the old ones in force', async () => {
    qos = makeQos();
    await qos.start();
    const before = qos.status().applied;
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: 150 })).toThrow(QosLimitsError);
    try {
      qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: 150 });
    } catch (err) {
      expect((err as QosLimitsError).field).toBe('cpuPercent');
      expect((err as Error).message).toMatch(/cpuPercent/);
    }
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, cores: [7] })).toThrow(/cores: core 7 does not exist/);
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, memoryMiB: 9000 })).toThrow(/memoryMiB/);
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, bogus: 1 })).toThrow(QosLimitsError);
    expect(qos.status().applied).toEqual(before);
    expect(read('cpu.max')).toBe('100000 100000');
    // A good change is written at once, without waiting for a sample.
    qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: 30, cores: [1] });
    expect(read('cpu.max')).toBe('60000 100000');
    expect(read('cpuset.cpus')).toBe('1');
  });

  it('never lowers memory below what running guests hold: the newest guest must move instead', async () => {
    const asked: MigrateRequest[] = [];
    qos = makeQos({ onMigrateRequest: (r) => asked.push(r) });
    await qos.start();
    now = 10;
    qos.placeGuest(100, { id: 'old', memoryMiB: 256 });
    now = 20;
    qos.placeGuest(200, { id: 'new', memoryMiB: 256 });
    qos.applyLimits({ ...DEFAULT_LIMITS, memoryMiB: 300 });
    expect(qos.status().memoryShortfall).toEqual({ limitMiB: 300, heldMiB: 512, mustMove: ['new'] });
    expect(read('memory.max')).toBe(String((512 + 64) * MiB));
    expect(asked).toEqual([expect.objectContaining({ reason: 'memory-limit', guests: ['new'] })]);
    // It moved: the limit asked for can now be written.
    writeFileSync(join(mount, 'phantom-grid/guests/memory.current'), String(200 * MiB));
    qos.removeGuest(200);
    qos.applyLimits({ ...DEFAULT_LIMITS, memoryMiB: 300 });
    expect(qos.status().memoryShortfall).toBeNull();
    expect(read('memory.max')).toBe(String(300 * MiB));
  });

  it('pins guest threads off the core the owner uses, and back after the quiet period', async () => {
    const pins: Array<[number, number[]]> = [];
    qos = makeQos({ native: { sweep: async () => fakeSweep(now / 1000, procs), setAffinity: (tid, cores) => void pins.push([tid, [...cores]]) } });
    await qos.start();
    qos.placeGuest(4242, { id: 'g1' });
    await step(0);
    await step(0);
    expect(pins).toEqual([[4242, [0, 1]]]);
    await step(50); // the owner's one busy thread ran on core 0
    expect(pins.at(-1)).toEqual([4242, [1]]);
    expect(qos.status().guestThreadCores).toEqual([1]);
    for (let i = 0; i < 6; i++) await step(0);
    expect(pins.at(-1)).toEqual([4242, [0, 1]]);
  });

  it('samples slowly while no guest runs and at full rate from the first guest on', async () => {
    qos = makeQos({ policy: { ...DEFAULT_QOS_POLICY } });
    await qos.start();
    expect(pending.filter((t) => !t.cancelled).map((t) => t.at)).toEqual([5000]);
    now = 200;
    qos.placeGuest(4242, { id: 'g1' });
    expect(pending.filter((t) => !t.cancelled).map((t) => t.at)).toEqual([1200]);
  });

  it('forgets a guest whose process is gone even when nobody called removeGuest', async () => {
    qos = makeQos();
    await qos.start();
    qos.placeGuest(4242, { id: 'g1' });
    qos.placeGuest(777, { id: 'gone' });
    await step(0);
    expect(qos.status().guests.map((g) => g.id)).toEqual(['g1']);
  });

  it('without the native addon the limits still hold and status says why the owner is not watched', async () => {
    qos = makeQos({ native: { sweep: async () => { throw new Error('native addon not available at x (missing)'); } } });
    await qos.start();
    now = 1000;
    pending[0]!.fn();
    await new Promise((r) => setImmediate(r));
    expect(qos.status()).toMatchObject({ monitorError: expect.stringMatching(/native addon not available/), applied: { cpuPercent: 50, idle: true } });
    expect(pending.filter((t) => !t.cancelled && t.at === 2000)).toHaveLength(1);
  });

  it('QoS off: the donation without idle marking, and no sampling at all', async () => {
    qos = makeQos({ limits: { ...DEFAULT_LIMITS, qos: false } });
    await qos.start();
    expect(pending.filter((t) => !t.cancelled)).toHaveLength(0);
    expect(sweeps).toBe(0);
    expect(qos.status()).toMatchObject({ enabled: false, mode: 'off', applied: { cpuPercent: 50, idle: false } });
    expect(read('cpu.idle')).toBe('0');
    qos.applyLimits({ ...DEFAULT_LIMITS, qos: true });
    expect(pending.filter((t) => !t.cancelled)).toHaveLength(1);
    qos.applyLimits({ ...DEFAULT_LIMITS, qos: false });
    expect(pending.filter((t) => !t.cancelled)).toHaveLength(0);
  });

  it('samples on its timer at the policy rate, and a pause gives the guests a trickle', async () => {
    qos = makeQos();
    await qos.start();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.at).toBe(1000);
    now = 1000;
    pending[0]!.fn();
    await new Promise((r) => setImmediate(r));
    expect(sweeps).toBe(1);
    expect(pending.filter((t) => !t.cancelled && t.at === 2000)).toHaveLength(1);
    qos.setPaused(true);
    expect(read('cpu.max')).toBe('1000 100000');
    expect(qos.status().mode).toBe('paused');
  });
});
