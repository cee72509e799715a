// Both drivers against a temp dir laid out like the kernel's files. The kernel itself is
// exercised by test/qos (v1 on this host; v2 inside a guest VM).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCgroupDriver } from './cgroup.ts';
import { cpuMaxOf } from './cgroup-v2.ts';
import { quotaUs, sharesOf } from './cgroup-v1.ts';

let dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cgfake-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const read = (f: string) => readFileSync(f, 'utf8');

describe('quota arithmetic', () => {
  it('turns percent of the machine into cfs quota', () => {
    expect(quotaUs(50, 2)).toBe(100_000);
    expect(quotaUs(25, 4)).toBe(100_000);
    expect(quotaUs(0, 2)).toBe(1_000);
    expect(quotaUs(null, 2)).toBe(-1);
    expect(quotaUs(100, 2)).toBe(-1);
    expect(cpuMaxOf(75, 2)).toBe('150000 100000');
    expect(cpuMaxOf(null, 2)).toBe('max 100000');
    expect(sharesOf(100)).toBe(1024);
    expect(sharesOf(1)).toBe(10);
  });
});

describe('cgroup v2 driver (fake tree)', () => {
  function fakeV2() {
    const mount = tmp();
    writeFileSync(join(mount, 'cgroup.controllers'), 'cpuset cpu memory pids');
    writeFileSync(join(mount, 'cgroup.subtree_control'), '');
    // What the kernel would create inside our groups once controllers are enabled.
    for (const g of ['pg', 'pg/guests']) {
      mkdirSync(join(mount, g), { recursive: true });
      for (const f of ['cgroup.subtree_control', 'cgroup.procs', 'cpu.idle', 'cpu.weight', 'cpu.max', 'cpuset.cpus', 'memory.max']) writeFileSync(join(mount, g, f), '');
      writeFileSync(join(mount, g, 'cgroup.controllers'), 'cpuset cpu memory');
    }
    writeFileSync(join(mount, 'pg/guests/cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 3\nthrottled_usec 9\n');
    writeFileSync(join(mount, 'pg/guests/memory.current'), '4096\n');
    writeFileSync(join(mount, 'pg/guests/memory.events'), 'low 0\nhigh 0\nmax 7\noom 0\n');
    return mount;
  }

  it('enables controllers down the tree and writes cpu.max, cpu.idle, cpuset and memory.max', () => {
    const mount = fakeV2();
    const d = createCgroupDriver({ layout: { kind: 'v2', mount, controllers: ['cpuset', 'cpu', 'memory', 'pids'] }, cpuCount: 2 });
    const g = d.group('pg/guests');
    // Each controller in its own write (the kernel reads one command per write; the fake keeps the last).
    expect(read(join(mount, 'cgroup.subtree_control'))).toBe('+memory');
    g.configure({ cpuPercent: 25, cores: [1], memoryBytes: 512 * 1024 * 1024, idle: true, weight: 100 });
    expect(read(join(mount, 'pg/guests/cpu.max'))).toBe('50000 100000');
    expect(read(join(mount, 'pg/guests/cpu.idle'))).toBe('1');
    expect(read(join(mount, 'pg/guests/cpuset.cpus'))).toBe('1');
    expect(read(join(mount, 'pg/guests/memory.max'))).toBe(String(512 * 1024 * 1024));
    g.configure({ cpuPercent: null, cores: null, memoryBytes: null, idle: false, weight: 50 });
    expect(read(join(mount, 'pg/guests/cpu.max'))).toBe('max 100000');
    expect(read(join(mount, 'pg/guests/cpu.idle'))).toBe('0');
    expect(read(join(mount, 'pg/guests/cpu.weight'))).toBe('50');
    expect(read(join(mount, 'pg/guests/cpuset.cpus'))).toBe('');
    expect(read(join(mount, 'pg/guests/memory.max'))).toBe('max');
    g.addPid(4242);
    expect(read(join(mount, 'pg/guests/cgroup.procs'))).toBe('4242');
    expect(g.usage()).toEqual({ cpuNs: 1_500_000, memoryBytes: 4096, throttledPeriods: 3, memoryLimitHits: 7 });
    expect(d.contains('pg/guests', { v1: {}, v2: '/pg/guests' })).toBe(true);
    expect(d.contains('pg/guests', { v1: {}, v2: '/pg/guestsx' })).toBe(false);
    expect(d.contains('pg', { v1: {}, v2: '/pg/guests' })).toBe(true);
  });

  it('falls back to the lowest weight on kernels without cpu.idle', () => {
    const mount = fakeV2();
    rmSync(join(mount, 'pg/guests/cpu.idle'));
    const g = createCgroupDriver({ layout: { kind: 'v2', mount, controllers: ['cpu'] }, cpuCount: 2 }).group('pg/guests');
    g.configure({ cpuPercent: 50, cores: null, memoryBytes: null, idle: true, weight: 100 });
    expect(read(join(mount, 'pg/guests/cpu.weight'))).toBe('1');
  });

  it('refuses cores or memory when their controller is missing, naming it', () => {
    const mount = fakeV2();
    writeFileSync(join(mount, 'pg/guests/cgroup.controllers'), 'cpu');
    const g = createCgroupDriver({ layout: { kind: 'v2', mount, controllers: ['cpu'] }, cpuCount: 2 }).group('pg/guests');
    expect(() => g.configure({ cpuPercent: 50, cores: [0], memoryBytes: null, idle: true, weight: 100 })).toThrow(/cpuset controller/);
    expect(() => g.configure({ cpuPercent: 50, cores: null, memoryBytes: 1, idle: true, weight: 100 })).toThrow(/memory controller/);
  });

  it('base "self" puts groups below this process\'s own cgroup', () => {
    const mount = fakeV2();
    mkdirSync(join(mount, 'user.slice/me'), { recursive: true });
    const d = createCgroupDriver({ layout: { kind: 'v2', mount, controllers: ['cpu'] }, cpuCount: 2, base: 'self', selfCgroup: '0::/user.slice/me\n' });
    expect(d.group('pg/guests').dirs).toEqual([join(mount, 'user.slice/me/pg/guests')]);
    expect(d.contains('pg/guests', { v1: {}, v2: '/user.slice/me/pg/guests' })).toBe(true);
  });
});

describe('cgroup v1 driver (fake tree)', () => {
  it('writes quota, idle, cpuset (inheriting the parent\'s cpus and mems) and memory in each hierarchy', () => {
    const root = tmp();
    const m = { cpu: join(root, 'cpu'), cpuacct: join(root, 'cpuacct'), cpuset: join(root, 'cpuset'), memory: join(root, 'memory') };
    for (const d of Object.values(m)) mkdirSync(d);
    writeFileSync(join(m.cpuset, 'cpuset.cpus'), '0-3\n');
    writeFileSync(join(m.cpuset, 'cpuset.mems'), '0\n');
    // The kernel creates cpu.idle in each new group; make the fake's group first.
    mkdirSync(join(m.cpu, 'pg/guests'), { recursive: true });
    writeFileSync(join(m.cpu, 'pg/guests/cpu.idle'), '0');
    const d = createCgroupDriver({ layout: { kind: 'v1', mounts: m }, cpuCount: 4 });
    const g = d.group('pg/guests');
    expect(read(join(m.cpuset, 'pg/cpuset.cpus'))).toBe('0-3');
    expect(read(join(m.cpuset, 'pg/guests/cpuset.mems'))).toBe('0');
    g.configure({ cpuPercent: 25, cores: [2, 3], memoryBytes: 1 << 30, idle: true, weight: 100 });
    expect(read(join(m.cpu, 'pg/guests/cpu.cfs_quota_us'))).toBe('100000');
    expect(read(join(m.cpu, 'pg/guests/cpu.cfs_period_us'))).toBe('100000');
    expect(read(join(m.cpu, 'pg/guests/cpu.idle'))).toBe('1');
    expect(read(join(m.cpuset, 'pg/guests/cpuset.cpus'))).toBe('2-3');
    expect(read(join(m.memory, 'pg/guests/memory.limit_in_bytes'))).toBe(String(1 << 30));
    g.configure({ cpuPercent: null, cores: null, memoryBytes: null, idle: false, weight: 100 });
    expect(read(join(m.cpu, 'pg/guests/cpu.cfs_quota_us'))).toBe('-1');
    expect(read(join(m.cpu, 'pg/guests/cpu.shares'))).toBe('1024');
    expect(read(join(m.cpuset, 'pg/guests/cpuset.cpus'))).toBe('0-3');
    expect(read(join(m.memory, 'pg/guests/memory.limit_in_bytes'))).toBe('-1');
    expect(d.contains('pg/guests', { v1: { cpu: '/pg/guests' }, v2: '/' })).toBe(true);
    expect(d.contains('pg/guests', { v1: { cpu: '/' }, v2: '/pg/guests' })).toBe(false);
  });
});
