// cgroup v1: one directory per controller hierarchy (cpu and cpuacct may share one mount).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Mounts } from './cgroup-layout.ts';
import { formatCpuList } from './cgroup-layout.ts';
import { has, removeGroupPath, readControl, readKey, readNumber, readPids, writeControl } from './cgroup-files.ts';
import type { CgroupDriver, CgroupGroup, GroupLimits } from './cgroup.ts';

export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas below 1 ms. */
const MIN_QUOTA_US = 1_000;

/** cfs quota for a percent of the whole machine; -1 = no cap. */
export function quotaUs(cpuPercent: number | null, cpuCount: number): number {
  if (cpuPercent === null || cpuPercent >= 100) return -1;
  return Math.max(MIN_QUOTA_US, Math.round((cpuPercent / 100) * cpuCount * CFS_PERIOD_US));
}

/** v2 weight (1–10000, default 100) → v1 shares (2–262144, default 1024). */
export function sharesOf(weight: number): number {
  return Math.min(262_144, Math.max(2, Math.round((weight * 1024) / 100)));
}

type Ctrl = 'cpu' | 'cpuacct' | 'cpuset' | 'memory';

export function createCgroupV1(mounts: V1Mounts, cpuCount: number, baseOf: (controller: string) => string): CgroupDriver {
  const ctrls = (Object.keys(mounts) as Ctrl[]).filter((c) => mounts[c] !== null);
  /** Hierarchies, each once (cpu and cpuacct co-mounted count once). */
  const hierarchies = (): Array<{ ctrl: Ctrl; mount: string }> => {
    const seen = new Set<string>();
    const out: Array<{ ctrl: Ctrl; mount: string }> = [];
    for (const ctrl of ctrls) {
      const mount = mounts[ctrl]!;
      if (seen.has(mount)) continue;
      seen.add(mount);
      out.push({ ctrl, mount });
    }
    return out;
  };
  const base = (ctrl: Ctrl): string => join(mounts[ctrl]!, baseOf(ctrl));
  const dirOf = (ctrl: Ctrl, name: string): string | null => (mounts[ctrl] ? join(base(ctrl), name) : null);

  /** cpuset groups start with empty cpus/mems and refuse tasks until both are set: copy the parent's. */
  function makeDirs(ctrl: Ctrl, name: string): void {
    let dir = base(ctrl);
    for (const part of name.split('/')) {
      const parent = dir;
      dir = join(dir, part);
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      if (ctrl === 'cpuset') {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const v = readControl(join(parent, f))?.trim();
          if (v) writeControl(join(dir, f), v);
        }
      }
    }
  }

  function group(name: string): CgroupGroup {
    for (const { ctrl } of hierarchies()) makeDirs(ctrl, name);
    const cpu = dirOf('cpu', name)!;
    const acct = dirOf('cpuacct', name);
    const cpuset = dirOf('cpuset', name);
    const memory = dirOf('memory', name);
    return {
      name,
      dirs: hierarchies().map(({ ctrl }) => dirOf(ctrl, name)!),
      configure(l: GroupLimits) {
        // An idle group's shares are fixed by the kernel (writing them is EINVAL), so the order matters.
        if (l.idle) {
          if (!has(join(cpu, 'cpu.idle'))) throw new Error('this kernel has no cpu.idle for cgroup v1 (needs Linux ≥ 5.15)');
          writeControl(join(cpu, 'cpu.idle'), '1');
        } else {
          if (has(join(cpu, 'cpu.idle'))) writeControl(join(cpu, 'cpu.idle'), '0');
          writeControl(join(cpu, 'cpu.shares'), String(sharesOf(l.weight)));
        }
        writeControl(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
        writeControl(join(cpu, 'cpu.cfs_quota_us'), String(quotaUs(l.cpuPercent, cpuCount)));
        if (cpuset) {
          const parentCpus = readControl(join(cpuset, '..', 'cpuset.cpus'))?.trim() ?? '';
          writeControl(join(cpuset, 'cpuset.cpus'), l.cores ? formatCpuList(l.cores) : parentCpus);
        } else if (l.cores) {
          throw new Error('cores cannot be limited: the cpuset controller is not mounted');
        }
        if (memory) writeControl(join(memory, 'memory.limit_in_bytes'), l.memoryBytes === null ? '-1' : String(l.memoryBytes));
        else if (l.memoryBytes !== null) throw new Error('memory cannot be limited: the memory controller is not mounted');
      },
      addPid(pid: number) {
        for (const { ctrl } of hierarchies()) writeControl(join(dirOf(ctrl, name)!, 'cgroup.procs'), String(pid));
      },
      pids: () => readPids(join(cpu, 'cgroup.procs')),
      usage: () => ({
        cpuNs: acct ? readNumber(join(acct, 'cpuacct.usage')) : null,
        memoryBytes: memory ? readNumber(join(memory, 'memory.usage_in_bytes')) : null,
        throttledPeriods: readKey(join(cpu, 'cpu.stat'), 'nr_throttled'),
        memoryLimitHits: memory ? readNumber(join(memory, 'memory.failcnt')) : null,
      }),
    };
  }

  return {
    kind: 'v1',
    group,
    remove(name: string) {
      for (const { ctrl } of hierarchies()) removeGroupPath(base(ctrl), name);
    },
    contains(name, membership) {
      const path = membership.v1['cpu'];
      if (path === undefined) return false;
      const g = join('/', baseOf('cpu'), name);
      return path === g || path.startsWith(`${g}/`);
    },
  };
}
