// CPU-burning processes for QoS tests and the owner benchmark: plain shell loops, optionally
// started through a symlink so their executable name (what local rules match) is ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLK_TCK = 100;

export interface Busy {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Kills it and waits until it has exited (so its cgroup can be removed). */
  kill(): Promise<void>;
}

export function spawnBusy(opts: { exe?: string } = {}): Busy {
  let cmd = '/bin/sh';
  let dir: string | null = null;
  if (opts.exe) {
    dir = mkdtempSync(join(tmpdir(), 'busy-'));
    cmd = join(dir, opts.exe);
    symlinkSync('/bin/sh', cmd);
  }
  const proc = spawn(cmd, ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    pid: proc.pid!,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** A process's CPU over `ms`, in percent of the whole machine (measured from /proc, not from its cgroup). */
export async function shareOfMachine(pid: number, ms: number, cpuCount: number): Promise<number> {
  const c0 = cpuSecondsOf(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((cpuSecondsOf(pid) - c0) / ((performance.now() - t0) / 1000) / cpuCount) * 100;
}

export const hasCgroupV1Cpu = (): boolean => existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') && process.getuid?.() === 0;
