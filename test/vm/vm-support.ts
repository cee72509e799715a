// Shared setup of the VM integration tests: the cached guest image and a VM host on a short run
// directory (unix socket paths are limited to 107 bytes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage } from '../../guest/build-image.ts';
import { silentLogger, type Logger } from '../../agent/src/log.ts';
import { createVmHost, type VmHost, type VmHostOptions } from '../../agent/src/vm/vm-host.ts';

export interface TestHost {
  readonly host: VmHost;
  readonly dir: string;
  cleanup(): Promise<void>;
}

export async function startTestHost(opts: Partial<VmHostOptions> & { log?: Logger } = {}): Promise<TestHost> {
  const image = buildGuestImage();
  const dir = mkdtempSync(join(tmpdir(), 'pgvm-'));
  // Boots take ~2 s on an idle machine, but this one is shared by many parallel jobs: be patient.
  const host = createVmHost({ log: opts.log ?? silentLogger(), imageDir: image.dir, runDir: join(dir, 'run'), accel: 'tcg', bootTimeoutMs: 110_000, ...opts });
  await host.start();
  return {
    host,
    dir,
    async cleanup() {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Hook timeout for a beforeAll that boots a guest (see bootTimeoutMs above). */
export const BOOT_HOOK_MS = 120_000;

/** True while a process with this pid exists (signal 0 probes without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A job that counts with a pause per line and brackets its output with a token of its own run. */
export function countingJob(lines: number, pauseUs: number): { argv: string[] } {
  const script = [
    'tok=$(cat /proc/sys/kernel/random/uuid)',
    'echo "start $tok"',
    'i=0',
    `while [ $i -lt ${lines} ]; do echo "n=$i"; i=$((i+1)); usleep ${pauseUs}; done`,
    'echo "end $tok"',
  ].join('\n');
  return { argv: ['sh', '-c', script] };
}

/** Checks a counting job's output: every number once, in order, one run from start to end. */
export function parseCounting(stdout: string): { numbers: number[]; startToken: string | undefined; endToken: string | undefined } {
  const lines = stdout.trimEnd().split('\n');
  return {
    numbers: lines.filter((l) => l.startsWith('n=')).map((l) => Number(l.slice(2))),
    startToken: lines[0]?.startsWith('start ') ? lines[0].slice(6) : undefined,
    endToken: lines.at(-1)?.startsWith('end ') ? lines.at(-1)!.slice(4) : undefined,
  };
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
