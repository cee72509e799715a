// Live migration mid-job between two VM hosts in separate processes on loopback: the job finishes
// on the target with the output of an uninterrupted run, and the source's QEMU is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { countingJob, parseCounting, processAlive } from './vm-support.ts';

type Ev = Record<string, unknown> & { ev: string };

class HostProcess {
  readonly proc: ChildProcess;
  private events: Ev[] = [];
  private waiters: Array<() => void> = [];
  constructor() {
    this.proc = spawn(process.execPath, [fileURLToPath(new URL('./vm-host-process.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.events.push(JSON.parse(l) as Ev);
      if (process.env.DEBUG_VM) process.stderr.write(`${l.slice(0, 200)}\n`);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(cmd: Record<string, unknown>): void {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  async next(pred: (e: Ev) => boolean, timeoutMs = 60_000): Promise<Ev> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => pred(e) || e.ev === 'error');
      if (i >= 0) {
        const [e] = this.events.splice(i, 1);
        if (e!.ev === 'error') throw new Error(`host process: ${String(e!.message)}`);
        return e!;
      }
      if (performance.now() > deadline) throw new Error('host process did not answer in time');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 250);
      });
    }
  }
  stop(): void {
    if (this.proc.exitCode === null) this.send({ op: 'exit' });
    setTimeout(() => this.proc.kill('SIGKILL'), 5000).unref();
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const hosts: HostProcess[] = [];
afterAll(() => hosts.forEach((h) => h.stop()));

describe('live migration between two VM host processes', () => {
  it('moves a running job to the target, which finishes it; the source QEMU is gone', { timeout: 180_000, retry: 2 }, async () => {
    const LINES = 100;
    const spec = { id: 'mig', vcpus: 1, memoryMiB: 128 };
    const source = new HostProcess();
    const target = new HostProcess();
    hosts.push(source, target);
    await Promise.all([source.next((e) => e.ev === 'ready'), target.next((e) => e.ev === 'ready')]);

    source.send({ op: 'boot-run', spec, job: countingJob(LINES, 30_000) });
    const booted = await source.next((e) => e.ev === 'booted');
    const port = await freePort();
    target.send({ op: 'receive', spec, port });
    await target.next((e) => e.ev === 'listening');
    // Migrate once the job is well under way.
    await source.next((e) => e.ev === 'progress' && Number(e.stdoutBytes) > 150);
    source.send({ op: 'migrate', port });
    const migrated = await source.next((e) => e.ev === 'migrated');
    expect(Number(migrated.downtimeMs)).toBeGreaterThanOrEqual(0);
    expect(Number(migrated.stdoutBytes)).toBeGreaterThan(0);
    await target.next((e) => e.ev === 'received');
    expect(processAlive(Number(booted.qemuPid))).toBe(false);

    const result = await target.next((e) => e.ev === 'result' || e.ev === 'result-error', 90_000);
    expect(result.ev).toBe('result');
    expect(result.code).toBe(0);
    // The guest re-sent what the target had not seen, so the target holds the whole output.
    expect(result.stdoutBase).toBe(0);
    const parsed = parseCounting(String(result.stdout));
    expect(parsed.numbers).toEqual(Array.from({ length: LINES }, (_, i) => i));
    expect(parsed.endToken).toBe(parsed.startToken);
    // Two QEMUs and two Node processes on a shared 2-core machine: allow for a crowded host.
    // retry: QEMU 7.2's pre-copy under TCG leaves the incoming guest dead in about 1 run in 6 (a
    // known open defect, recorded in docs/GUEST.md and the VM issue); a retry keeps CI meaningful
    // for everything else this test checks, and a migration that never works still fails.
  });
});
