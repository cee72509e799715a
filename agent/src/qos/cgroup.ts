// One interface over cgroup v1 and v2 for the groups QoS manages: the guests' parent group and
// one group per local-process rule. Callers speak in percent of the machine, cores and bytes;
// each driver turns that into its own files.
import { readFileSync } from 'node:fs';
import type { CgroupLayout } from './cgroup-layout.ts';
import { parseProcCgroup } from './cgroup-layout.ts';
import { createCgroupV1 } from './cgroup-v1.ts';
import { createCgroupV2 } from './cgroup-v2.ts';
import { CgroupError } from './cgroup-files.ts';

export { CgroupError };

export interface GroupLimits {
  /** Percent of the whole machine (100 = every core busy); null = no cap. */
  readonly cpuPercent: number | null;
  /** Cores the group may run on; null = whatever its parent allows. */
  readonly cores: readonly number[] | null;
  readonly memoryBytes: number | null;
  /** Mark the group idle for the scheduler: it runs only when nothing else wants the CPU. */
  readonly idle: boolean;
  /** cgroup v2 weight scale (1–10000, 100 = normal); v1 shares are derived from it. Ignored when idle. */
  readonly weight: number;
}

export interface GroupUsage {
  /** Total CPU time of the group since it was created; null where the layout cannot tell. */
  readonly cpuNs: number | null;
  readonly memoryBytes: number | null;
  /** Periods the CPU quota stopped the group. */
  readonly throttledPeriods: number | null;
  /** Times the group hit its memory limit. */
  readonly memoryLimitHits: number | null;
}

export interface CgroupGroup {
  /** Relative to each hierarchy's base, e.g. "phantom-grid/guests". */
  readonly name: string;
  /** Directories backing the group, one per hierarchy. */
  readonly dirs: readonly string[];
  configure(limits: GroupLimits): void;
  /** Moves a whole process (all its threads) into the group. */
  addPid(pid: number): void;
  pids(): number[];
  usage(): GroupUsage;
}

export interface CgroupDriver {
  readonly kind: 'v1' | 'v2';
  /** Creates the group (and its parents) when missing. */
  group(name: string): CgroupGroup;
  /** Moves every process out to the base group and removes the directories, deepest first. */
  remove(name: string): void;
  /** Whether pid's cgroup path (from /proc/<pid>/cgroup) is the named group or below it. */
  contains(name: string, membership: { v1: Readonly<Record<string, string>>; v2: string | null }): boolean;
}

export interface CgroupDriverOptions {
  readonly layout: CgroupLayout;
  /** Online CPUs: a percent of the machine is this many cores' worth of quota. */
  readonly cpuCount: number;
  /**
   * Where groups are created in each hierarchy: '' = its root (default); 'self' = below the
   * cgroup this process is in (keeps test groups inside a supervisor's accounting).
   */
  readonly base?: string | 'self';
  /** /proc/self/cgroup contents for base 'self' (read when absent). */
  readonly selfCgroup?: string;
}

export function createCgroupDriver(opts: CgroupDriverOptions): CgroupDriver {
  const { layout } = opts;
  if (layout.kind === 'none') throw new CgroupError(`no usable cgroup hierarchy: ${layout.reason}`, '/proc/self/mounts', 'ENOENT');
  let self: { v1: Record<string, string>; v2: string | null } | null = null;
  const baseOf = (controller: string): string => {
    if (opts.base !== 'self') return opts.base ?? '';
    self ??= parseProcCgroup(opts.selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'));
    return (controller === 'v2' ? self.v2 : self.v1[controller]) ?? '';
  };
  return layout.kind === 'v1' ? createCgroupV1(layout.mounts, opts.cpuCount, baseOf) : createCgroupV2(layout, opts.cpuCount, baseOf('v2'));
}
