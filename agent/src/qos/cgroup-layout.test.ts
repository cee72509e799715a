import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroupLayout, formatCpuList, parseCpuList, parseProcCgroup } from './cgroup-layout.ts';

const HYBRID = `tmpfs /sys/fs/cgroup tmpfs rw 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
`;
const V2 = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('cgroup layout detection', () => {
  it('prefers v1 when the cpu controller is bound there (this build host)', () => {
    const l = detectCgroupLayout({ mounts: HYBRID });
    expect(l).toEqual({ kind: 'v1', mounts: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', cpuset: '/sys/fs/cgroup/cpuset', memory: '/sys/fs/cgroup/memory' } });
  });

  it('co-mounted cpu,cpuacct share one directory', () => {
    const l = detectCgroupLayout({ mounts: 'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n' });
    expect(l).toMatchObject({ kind: 'v1', mounts: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', cpuset: null, memory: null } });
  });

  it('finds a unified v2 tree with its controllers', () => {
    const root = mkdtempSync(join(tmpdir(), 'cg-'));
    dirs.push(root);
    mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
    writeFileSync(join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpuset cpu io memory pids\n');
    expect(detectCgroupLayout({ mounts: V2, fsRoot: root })).toEqual({ kind: 'v2', mount: join(root, 'sys/fs/cgroup'), controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] });
  });

  it('says why when no hierarchy has a cpu controller', () => {
    const root = mkdtempSync(join(tmpdir(), 'cg-'));
    dirs.push(root);
    mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
    writeFileSync(join(root, 'sys/fs/cgroup/cgroup.controllers'), 'hugetlb\n');
    const l = detectCgroupLayout({ mounts: V2, fsRoot: root });
    expect(l.kind).toBe('none');
    expect(l.kind === 'none' && l.reason).toMatch(/no cpu controller.*hugetlb/);
    expect(detectCgroupLayout({ mounts: '' })).toMatchObject({ kind: 'none' });
  });

  it('parses /proc/<pid>/cgroup and cpu lists', () => {
    expect(parseProcCgroup('4:memory:/a/b\n1:cpu,cpuacct:/x\n0::/u\n')).toEqual({ v1: { memory: '/a/b', cpu: '/x', cpuacct: '/x' }, v2: '/u' });
    expect(formatCpuList([3, 0, 1, 2, 6, 6])).toBe('0-3,6');
    expect(parseCpuList('0-3,6\n')).toEqual([0, 1, 2, 3, 6]);
  });
});
