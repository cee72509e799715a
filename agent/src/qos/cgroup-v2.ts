// cgroup v2: one unified tree. Controllers reach a group only when every ancestor lists them in
// cgroup.subtree_control, so creating a group enables them all the way down.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatCpuList } from './cgroup-layout.ts';
import { CFS_PERIOD_US, quotaUs } from './cgroup-v1.ts';
import { has, readControl, readKey, readNumber, readPids, removeGroupPath, writeControl } from './cgroup-files.ts';
import type { CgroupDriver, CgroupGroup, GroupLimits } from './cgroup.ts';

const WANTED = ['cpu', 'cpuset', 'memory'] as const;

/** cpu.max line for a percent of the whole machine. */
export function cpuMaxOf(cpuPercent: number | null, cpuCount: number): string {
  const q = quotaUs(cpuPercent, cpuCount);
  return `${q < 0 ? 'max' : q} ${CFS_PERIOD_US}`;
}

export function createCgroupV2(layout: { mount: string; controllers: readonly string[] }, cpuCount: number, basePath: string): CgroupDriver {
  const base = join(layout.mount, basePath);
  const wanted = WANTED.filter((c) => layout.controllers.includes(c));

  function enableBelow(dir: string): void {
    const enabled = (readControl(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
    // One controller per write: a controller the parent lacks must not keep the others off.
    for (const c of wanted) if (!enabled.includes(c)) writeControl(join(dir, 'cgroup.subtree_control'), `+${c}`);
  }

  function group(name: string): CgroupGroup {
    let dir = base;
    for (const part of name.split('/').filter(Boolean)) {
      enableBelow(dir);
      dir = join(dir, part);
      if (!existsSync(dir)) mkdirSync(dir);
    }
    const g = dir;
    const available = (readControl(join(g, 'cgroup.controllers')) ?? '').split(/\s+/);
    return {
      name,
      dirs: [g],
      configure(l: GroupLimits) {
        if (!available.includes('cpu')) throw new Error(`the cpu controller is not available in ${g}`);
        if (l.idle) {
          // cpu.idle came with Linux 5.15; before it the lowest weight is the closest the group can get.
          if (has(join(g, 'cpu.idle'))) writeControl(join(g, 'cpu.idle'), '1');
          else writeControl(join(g, 'cpu.weight'), '1');
        } else {
          if (has(join(g, 'cpu.idle'))) writeControl(join(g, 'cpu.idle'), '0');
          writeControl(join(g, 'cpu.weight'), String(Math.min(10_000, Math.max(1, Math.round(l.weight)))));
        }
        writeControl(join(g, 'cpu.max'), cpuMaxOf(l.cpuPercent, cpuCount));
        if (available.includes('cpuset')) writeControl(join(g, 'cpuset.cpus'), l.cores ? formatCpuList(l.cores) : '');
        else if (l.cores) throw new Error(`cores cannot be limited: the cpuset controller is not available in ${g}`);
        if (available.includes('memory')) writeControl(join(g, 'memory.max'), l.memoryBytes === null ? 'max' : String(l.memoryBytes));
        else if (l.memoryBytes !== null) throw new Error(`memory cannot be limited: the memory controller is not available in ${g}`);
      },
      addPid(pid: number) {
        writeControl(join(g, 'cgroup.procs'), String(pid));
      },
      pids: () => readPids(join(g, 'cgroup.procs')),
      usage() {
        const usec = readKey(join(g, 'cpu.stat'), 'usage_usec');
        return {
          cpuNs: usec === null ? null : usec * 1000,
          memoryBytes: readNumber(join(g, 'memory.current')),
          throttledPeriods: readKey(join(g, 'cpu.stat'), 'nr_throttled'),
          memoryLimitHits: readKey(join(g, 'memory.events'), 'max'),
        };
      },
    };
  }

  return {
    kind: 'v2',
    group,
    remove: (name) => removeGroupPath(base, name),
    contains(name, membership) {
      if (membership.v2 === null) return false;
      const p = join('/', basePath, name);
      return membership.v2 === p || membership.v2.startsWith(`${p}/`);
    },
  };
}
