import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const phantomBin = join(repoRoot, 'bin/phantom.js');

export interface AgentProcess {
  readonly dataDir: string;
  readonly proc: ChildProcess;
  readonly port: number;
  readonly token: string;
  readonly base: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
}

export function tempDataDir(prefix = 'phantom-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `phantom …` to completion on this Node and returns its output. */
export async function runPhantom(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [phantomBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Starts a real agent process and waits until its control API is up (control.json written). */
export async function startAgent(opts: { dataDir?: string; args?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<AgentProcess> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const proc = spawn(process.execPath, [phantomBin, 'agent', '--data-dir', dataDir, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Each test agent gets its own cgroups, so parallel tests never rewrite each other's limits.
    env: { ...process.env, ...opts.env, PHANTOM_CGROUP_ROOT: process.env.PHANTOM_CGROUP_ROOT ?? `phantom-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}` },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const controlPath = join(dataDir, 'control.json');
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (!existsSync(controlPath) || !out.includes('running')) {
    if (proc.exitCode !== null) throw new Error(`agent exited with ${proc.exitCode}: ${err}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`agent did not start in time: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const control = JSON.parse(readFileSync(controlPath, 'utf8')) as { port: number };
  const token = readFileSync(join(dataDir, 'control.token'), 'utf8').trim();
  return {
    dataDir,
    proc,
    port: control.port,
    token,
    base: `http://127.0.0.1:${control.port}`,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
