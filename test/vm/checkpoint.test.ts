// Checkpoint a running job, kill -9 its QEMU, restore: the job carries on from where it was.
// Then the bad inputs: corrupt, truncated and mismatched checkpoints, a failed write, a stuck
// incoming stream — each a clear, typed error with the previous good checkpoint kept.
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_HOOK_MS, countingJob, parseCounting, processAlive, startTestHost, waitFor, type TestHost } from './vm-support.ts';
import { CheckpointError, createCheckpointStore, type CheckpointStore } from '../../agent/src/vm/checkpoint-store.ts';
import { JobRun } from '../../agent/src/vm/job-run.ts';
import type { VmSpec } from '../../agent/src/vm/qemu-command.ts';

const LINES = 120;
const spec: VmSpec = { id: 'ckpt', vcpus: 1, memoryMiB: 128 };
let t: TestHost;
let store: CheckpointStore;

beforeAll(async () => {
  t = await startTestHost();
  store = createCheckpointStore({ dir: join(t.dir, 'ckpt'), keep: 2 });
}, BOOT_HOOK_MS);
afterAll(async () => {
  await t?.cleanup();
});

const lineCount = (run: JobRun) => run.stdoutSoFar().toString().split('\n').filter((l) => l.startsWith('n=')).length;

describe('checkpoint and restore with real QEMU', () => {
  it('continues a counting job after kill -9 of its QEMU, with the output of an uninterrupted run', async () => {
    const vm = await t.host.boot(spec);
    const run = vm.run(countingJob(LINES, 30_000));
    await waitFor(() => lineCount(run) >= 15, 30_000, 'output before the first checkpoint');
    const first = await vm.checkpoint(store, { jobId: 'job-1' });
    await waitFor(() => lineCount(run) >= 30, 30_000, 'output before the second checkpoint');
    const second = await vm.checkpoint(store, { jobId: 'job-1' });
    expect(second.meta.seq).toBe(first.meta.seq + 1);
    expect(second.meta.output.stdout).toBeGreaterThan(0);
    expect(second.meta.configHash).toBe(t.host.configHashFor(spec));
    // Let the job move on past the checkpoint, then lose the machine without warning.
    await waitFor(() => lineCount(run) >= 45, 30_000, 'output after the checkpoint');
    const atKill = lineCount(run);
    process.kill(vm.pid, 'SIGKILL');
    const exit = await vm.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(run.done).toBe(false);

    const latest = await store.latestGood(t.host.configHashFor(spec));
    expect(latest?.entry.seq).toBe(second.meta.seq);
    const { vm: restored } = await t.host.restore(spec, store, latest!.entry, run);
    // The guest woke up mid-job: its agent reports a running job that had produced output.
    expect(restored.ready?.job).toBe(true);
    expect(restored.ready?.stdoutOffset).toBeGreaterThanOrEqual(second.meta.output.stdout);
    const r = await run.result;
    expect(r.exit.code).toBe(0);
    const parsed = parseCounting(r.stdout.toString());
    expect(parsed.numbers).toEqual(Array.from({ length: LINES }, (_, i) => i));
    // The same run from its start to its end: a restart from zero would print a new token.
    expect(parsed.startToken).toBeDefined();
    expect(parsed.endToken).toBe(parsed.startToken);
    expect(atKill).toBeLessThan(LINES);
    await restored.shutdown();
    expect(processAlive(restored.pid)).toBe(false);
  }, 180_000);

  describe('bad checkpoints', () => {
    const copyStore = (name: string) => {
      const dir = join(t.dir, name);
      mkdirSync(dir, { recursive: true });
      for (const e of store.list()) {
        copyFileSync(e.dataPath, join(dir, e.dataPath.split('/').pop()!));
        copyFileSync(e.metaPath, join(dir, e.metaPath.split('/').pop()!));
      }
      return createCheckpointStore({ dir, keep: 2 });
    };
    const expectCode = async (p: Promise<unknown>, code: string) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).code).toBe(code);
      expect((err as Error).message).toMatch(/checkpoint .*: /);
    };

    it('refuses a corrupt one and falls back to the previous good one', async () => {
      const s = copyStore('corrupt');
      const [newest, older] = s.list();
      const data = readFileSync(newest!.dataPath);
      data[Math.floor(data.length / 2)]! ^= 0xff;
      writeFileSync(newest!.dataPath, data);
      await expectCode(s.verify(newest!, t.host.configHashFor(spec)), 'checksum_mismatch');
      const skipped: string[] = [];
      const good = await s.latestGood(t.host.configHashFor(spec), (e) => skipped.push(e.code));
      expect(good?.entry.seq).toBe(older!.seq);
      expect(skipped).toEqual(['checksum_mismatch']);
    });

    it('refuses a truncated one and unreadable metadata', async () => {
      const s = copyStore('truncated');
      const [newest, older] = s.list();
      truncateSync(newest!.dataPath, 1000);
      await expectCode(s.verify(newest!, t.host.configHashFor(spec)), 'truncated');
      writeFileSync(older!.metaPath, '{"schema":1,"jobId":');
      await expectCode(s.verify(older!, t.host.configHashFor(spec)), 'bad_metadata');
      expect(await s.latestGood(t.host.configHashFor(spec))).toBeNull();
    });

    it('refuses to restore into a differently configured VM, before starting QEMU', async () => {
      const other: VmSpec = { ...spec, vcpus: 2 };
      const before = t.host.list().length;
      await expectCode(t.host.restore(other, store, store.list()[0]!, new JobRun()), 'config_mismatch');
      expect(t.host.list().length).toBe(before);
      expect(store.list().length).toBe(2);
    });

  });
  describe('supervision', () => {
    let h: TestHost;
    beforeAll(async () => {
      h = await startTestHost({ heartbeatTimeoutMs: 10_000, incomingTimeoutMs: 3000 });
    }, BOOT_HOOK_MS);
    afterAll(async () => {
      await h?.cleanup();
    });

    it('a failed checkpoint write leaves the guest running; a guest that stops answering is killed', async () => {
      const dir = join(h.dir, 'failing');
      const s = createCheckpointStore({ dir, keep: 2 });
      const vm = await h.host.boot({ ...spec, id: 'failing' });
      // The store's directory turns unwritable (here: a place where no file can be created)
      // after the store was opened: the checkpoint pipeline cannot write its stream.
      rmSync(dir, { recursive: true, force: true });
      symlinkSync('/proc/self', dir);
      const err = await vm.checkpoint(s, { jobId: 'job-2' }).then(() => null, (e: unknown) => e as CheckpointError);
      expect(err).toBeInstanceOf(CheckpointError);
      expect(err?.code).toBe('write_failed');
      expect(err?.message).toMatch(/pipeline failed|migration failed/);
      rmSync(dir, { force: true });
      expect(vm.alive).toBe(true);
      expect(await vm.ping()).toBeGreaterThan(0);
      const r = await vm.run({ argv: ['echo', 'still here'] }).result;
      expect(r.stdout.toString()).toBe('still here\n');
      expect(store.list().length).toBe(2);

      // Freeze QEMU as a hang would: no heartbeat reaches the host, and the watchdog ends it.
      const run = vm.run({ argv: ['sleep', '600'] });
      process.kill(vm.pid, 'SIGSTOP');
      const exit = await vm.exited;
      expect(exit.reason).toBe('hung');
      await expect(run.result).rejects.toThrow(/hung/);
      expect(processAlive(vm.pid)).toBe(false);
    }, 120_000);

    it('ends a QEMU whose incoming stream is garbage or never completes', async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const incoming = await h.host.receive({ ...spec, id: 'stuck' }, { port, resume: new JobRun({ from: 'first-seen' }) });
      const sock = connect(port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(Buffer.alloc(4096, 0x5a));
      const err = await incoming.vm.then(() => null, (e: unknown) => e as Error);
      sock.destroy();
      expect(err?.message).toMatch(/incoming migration|QEMU exited/);
      expect(h.host.list().filter((v) => v.spec.id === 'stuck')).toEqual([]);
    });
  });
});
