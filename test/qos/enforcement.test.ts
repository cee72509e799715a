// The QoS component on this host's real cgroup v1 hierarchies and the real native addon.
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../contract/index.ts';
import { createNativeApi } from '../../native/lib/index.ts';
import { silentLogger } from '../../agent/src/log.ts';
import { detectCgroupLayout } from '../../agent/src/qos/cgroup-layout.ts';
import { parseProcCgroup } from '../../agent/src/qos/cgroup-layout.ts';
import { createQos, QosLimitsError, type Qos } from '../../agent/src/qos/qos.ts';
import { systemClock, systemTimers } from '../../agent/src/qos/system-time.ts';
import { hasCgroupV1Cpu, shareOfMachine, spawnBusy, type Busy } from './busy.ts';

const native = createNativeApi();
const cpuCount = native.nativeAddonError() === null ? native.cpuCount() : 2;
const skip = !hasCgroupV1Cpu() ? 'needs root and a cgroup v1 cpu hierarchy (this host has one)' : native.nativeAddonError();
const root = `phantom-test-${process.pid}`;
// Below this worker's own groups, so a supervisor's memory accounting still covers the test.
const self = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')).v1;
const cpuDir = join('/sys/fs/cgroup/cpu', self['cpu'] ?? '/', root, 'guests');

describe.skipIf(skip)('QoS on real cgroup v1', () => {
  let qos: Qos;
  const procs: Busy[] = [];
  beforeAll(async () => {
    expect(detectCgroupLayout().kind).toBe('v1');
    qos = createQos({
      log: silentLogger(), clock: systemClock, timers: systemTimers, native, cpuCount, cgroupBase: 'self', cgroupRoot: root,
      limits: { ...DEFAULT_LIMITS, cpuPercent: 25 },
      // The monitor is stepped by hand below; a slow rate keeps its own timer out of the way.
      policy: { sampleHz: 0.1, sampleHzWithoutGuests: 0.1, ownerBusyPercent: 10, inputActiveSeconds: 5, quietSeconds: 30, headroomPercent: 5, migrateAfterSeconds: 600 },
    });
    await qos.start();
  });
  afterAll(async () => {
    for (const p of procs) {
      await p.kill();
      qos.removeGuest(p.pid);
    }
    await qos.stop();
    expect(existsSync(join(cpuDir, '..'))).toBe(false);
  });

  it('keeps a CPU-burning guest at its 25% cap and marks the group idle', async () => {
    const guest = spawnBusy();
    procs.push(guest);
    expect(qos.placeGuest(guest.pid, { id: 'burner' })).toBe(true);
    expect(readFileSync(join(cpuDir, 'cgroup.procs'), 'utf8')).toContain(String(guest.pid));
    expect(readFileSync(join(cpuDir, 'cpu.idle'), 'utf8').trim()).toBe('1');
    // The top group too: cpu.idle ranks a group only among its siblings.
    expect(readFileSync(join(cpuDir, '..', 'cpu.idle'), 'utf8').trim()).toBe('1');
    expect(Number(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8'))).toBeLessThanOrEqual(0.25 * cpuCount * 100_000);
    await new Promise((r) => setTimeout(r, 300));
    const share = await shareOfMachine(guest.pid, 3000, cpuCount);
    // Unlimited, one busy loop takes a whole core (50% of two); accuracy is the benchmark's job.
    expect(share).toBeLessThanOrEqual(25 + 8);
  });

  it('rejects invalid limits with a clear error and leaves the kernel\'s values alone', () => {
    const quota = readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8');
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: -5 })).toThrow(QosLimitsError);
    expect(() => qos.applyLimits({ ...DEFAULT_LIMITS, cores: [cpuCount + 3] })).toThrow(/cores: core \d+ does not exist/);
    expect(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8')).toBe(quota);
    expect(qos.status().applied?.cpuPercent).toBeLessThanOrEqual(25);
  });

  it('sees a busy owner process from real sweeps and throttles the guests', async () => {
    const owner = spawnBusy();
    procs.push(owner);
    await qos.sample();
    await new Promise((r) => setTimeout(r, 1000));
    await qos.sample();
    const s = qos.status();
    // One busy loop is half of a two-core machine; other work on the host only adds to it.
    expect(s.owner.cpuPercent).toBeGreaterThanOrEqual(25);
    expect(s.owner.state).toBe('active');
    expect(s.mode).toBe('throttled');
    expect(s.guestCpuPercent).not.toBeNull();
    // The guest's threads were pinned through the addon to the cores placement chose.
    expect(s.guestThreadCores).not.toBeNull();
    expect(native.getAffinity(procs[0]!.pid)).toEqual(s.guestThreadCores);
    await owner.kill();
  });

  it('QoS off gives the guest all cores back and clears the idle marking; on again restores it', () => {
    const guest = procs[0]!;
    qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: 25, qos: false });
    expect(native.getAffinity(guest.pid)).toEqual(Array.from({ length: cpuCount }, (_, i) => i));
    expect(readFileSync(join(cpuDir, 'cpu.idle'), 'utf8').trim()).toBe('0');
    expect(qos.status()).toMatchObject({ enabled: false, mode: 'off', guestThreadCores: null });
    qos.applyLimits({ ...DEFAULT_LIMITS, cpuPercent: 25 });
    expect(readFileSync(join(cpuDir, 'cpu.idle'), 'utf8').trim()).toBe('1');
  });

  it('caps a local application matched by executable name and reports it', async () => {
    const hog = spawnBusy({ exe: 'phantom-hog' });
    procs.push(hog);
    qos.applyRules([{ exe: 'phantom-hog', cpuPercent: 10, memoryMiB: null }]);
    await qos.sample();
    const ruleDir = join('/sys/fs/cgroup/cpu', self['cpu'] ?? '/', `${root}-local`, 'phantom-hog');
    expect(readFileSync(join(ruleDir, 'cgroup.procs'), 'utf8')).toContain(String(hog.pid));
    const share = await shareOfMachine(hog.pid, 2000, cpuCount);
    expect(share).toBeLessThanOrEqual(10 + 8);
    await qos.sample();
    const rule = qos.status().rules.find((r) => r.exe === 'phantom-hog');
    expect(rule?.pids).toContain(hog.pid);
    expect(rule?.cpuPercent).not.toBeNull();
    // Dropping the rule releases the application from its cap.
    qos.applyRules([]);
    expect(existsSync(ruleDir)).toBe(false);
    expect(existsSync(join(ruleDir, '..'))).toBe(false);
  });

  it('creates the guests\' group again when another agent removed it while empty', async () => {
    const other = createQos({ log: silentLogger(), clock: systemClock, timers: systemTimers, native, cpuCount, cgroupBase: 'self', cgroupRoot: `${root}-b`, limits: { ...DEFAULT_LIMITS, cpuPercent: 25 } });
    await other.start();
    const dir = join('/sys/fs/cgroup/cpu', self['cpu'] ?? '/', `${root}-b`);
    for (const ctrl of ['cpu', 'cpuacct', 'cpuset', 'memory']) {
      const d = join('/sys/fs/cgroup', ctrl, self[ctrl] ?? '/', `${root}-b`);
      rmdirSync(join(d, 'guests'));
      rmdirSync(d);
    }
    const guest = spawnBusy();
    try {
      expect(other.placeGuest(guest.pid, { id: 'late' })).toBe(true);
      expect(readFileSync(join(dir, 'guests', 'cgroup.procs'), 'utf8')).toContain(String(guest.pid));
      expect(readFileSync(join(dir, 'guests', 'cpu.idle'), 'utf8').trim()).toBe('1');
      expect(readFileSync(join(dir, 'cpu.idle'), 'utf8').trim()).toBe('1');
    } finally {
      await guest.kill();
      other.removeGuest(guest.pid);
      await other.stop();
    }
    expect(existsSync(dir)).toBe(false);
  });
});
