/** Ticks (1 / clockTicksPerSecond s) a core has spent in each state since boot (/proc/stat). */
export interface CoreTimes {
  readonly core: number;
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
}

/**
 * Which cgroups a process is in: `v1` maps each v1 controller (and named hierarchy such as
 * "name=systemd") to its path; `v2` is the unified-hierarchy path, null when it has none.
 * Processes with the same membership share one frozen object.
 */
export interface CgroupMembership {
  readonly v1: Readonly<Record<string, string>>;
  readonly v2: string | null;
}

export interface ThreadSample {
  readonly tid: number;
  /** The process (thread group) the thread belongs to; uid and cgroup are the process's. */
  readonly pid: number;
  readonly comm: string;
  /** One letter as in proc(5): R running, S sleeping, D disk sleep, Z zombie, T stopped, I idle… */
  readonly state: string;
  /** Ticks since boot when the thread started. */
  readonly startTime: number;
  /** User and system CPU ticks of this thread. */
  readonly utime: number;
  readonly stime: number;
  /** Core the thread last ran on. */
  readonly processor: number;
}

export interface ProcessSample {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly state: string;
  /** Real uid: who started it. */
  readonly uid: number;
  readonly startTime: number;
  /** User and system CPU ticks of all its threads, living and exited. */
  readonly utime: number;
  readonly stime: number;
  /** Core its main thread last ran on. */
  readonly processor: number;
  readonly rssBytes: number;
  readonly cgroup: CgroupMembership;
  /** Every thread (main thread included) when the sweep read threads; otherwise empty. */
  readonly threads: readonly ThreadSample[];
}

export interface Sweep {
  /** CLOCK_MONOTONIC at the start of the sweep, comparable with process.hrtime.bigint(). */
  readonly timestampNs: bigint;
  /** sysconf(_SC_CLK_TCK): ticks per second for every tick figure above. */
  readonly clockTicksPerSecond: number;
  readonly pageSize: number;
  readonly cores: readonly CoreTimes[];
  readonly processes: readonly ProcessSample[];
  /** Whether threads were read (ProcessSample.threads is empty otherwise). */
  readonly includesThreads: boolean;
}

export interface SweepOptions {
  /** Read every thread too (default true). A processes-only sweep is cheaper. */
  readonly threads?: boolean;
}
