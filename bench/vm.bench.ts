// Guest lifecycle costs with real QEMU: boot to the guest agent answering, a live checkpoint of a
// guest running a job (pause and total), restore after kill -9, and live migration on loopback.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage } from '../guest/build-image.ts';
import { silentLogger } from '../agent/src/log.ts';
import { createVmHost } from '../agent/src/vm/vm-host.ts';
import { createCheckpointStore } from '../agent/src/vm/checkpoint-store.ts';
import { JobRun } from '../agent/src/vm/job-run.ts';
import { qemuMemoryMiB } from '../agent/src/vm/qemu-command.ts';
import type { Benchmark } from './harness.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

// A job that keeps the guest busy and dirties a little memory while it is checkpointed.
const busyJob = { argv: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; usleep 20000; done'] };

export default (async ({ quick, progress }) => {
  const image = buildGuestImage();
  const dir = mkdtempSync(join(tmpdir(), 'pgbench-'));
  const log = silentLogger();
  const hostA = createVmHost({ log, imageDir: image.dir, runDir: join(dir, 'a') });
  const hostB = createVmHost({ log, imageDir: image.dir, runDir: join(dir, 'b'), accel: 'tcg' });
  const rounds = quick ? 2 : 5;
  const spec = { id: 'bench', vcpus: 1, memoryMiB: 128 };
  try {
    await hostA.start();
    await hostB.start();
    const accel = hostA.accel;
    progress(`accel ${accel}; ${rounds} rounds; guest ${spec.memoryMiB} MiB requested, ${qemuMemoryMiB(spec.memoryMiB)} MiB given to QEMU`);

    const boots: number[] = [];
    const pauses: number[] = [];
    const totals: number[] = [];
    const sizes: number[] = [];
    const restores: number[] = [];
    const migTotals: number[] = [];
    const migDowntimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const vm = await hostA.boot({ ...spec, id: `bench${i}` });
      boots.push(performance.now() - t0);
      await vm.ping();
      const run = vm.run(busyJob);
      await sleep(500);

      const store = createCheckpointStore({ dir: join(dir, `ckpt${i}`), keep: 1 });
      const ck = await vm.checkpoint(store, { jobId: `bench${i}` });
      pauses.push(ck.pauseMs);
      totals.push(ck.totalMs);
      sizes.push(statSync(ck.path).size / (1024 * 1024));

      vm.kill();
      await vm.exited;
      const t1 = performance.now();
      const { vm: restored } = await hostA.restore({ ...spec, id: `bench${i}` }, store, store.list()[0]!, run);
      restores.push(performance.now() - t1);

      const port = await freePort();
      const incoming = await hostB.receive({ ...spec, id: `bench${i}` }, { port, resume: new JobRun() });
      const mig = await restored.migrateTo(`tcp:127.0.0.1:${port}`);
      const moved = await incoming.vm;
      migTotals.push(mig.totalMs);
      // Guest stopped on the source → running on the target, from both QEMUs' event timestamps
      // (one host clock). QEMU's own figure is unreliable here: the source was itself restored,
      // and its query-migrate mixes in that old incoming stream.
      const stopAt = restored.lastEventAt('STOP');
      const resumeAt = moved.lastEventAt('RESUME');
      migDowntimes.push(stopAt !== undefined && resumeAt !== undefined ? resumeAt - stopAt : mig.downtimeMs);
      moved.cancel('SIGKILL');
      await moved.shutdown();
      progress(`round ${i + 1}: boot ${Math.round(boots.at(-1)!)} ms, pause ${r1(ck.pauseMs)} ms, checkpoint ${Math.round(ck.totalMs)} ms / ${r1(sizes.at(-1)!)} MB, restore ${Math.round(restores.at(-1)!)} ms, migrate ${Math.round(mig.totalMs)} ms (downtime ${r1(migDowntimes.at(-1)!)} ms)`);
    }
    const figures = {
      accel,
      guest_mib: spec.memoryMiB,
      qemu_mib: qemuMemoryMiB(spec.memoryMiB),
      boot_ms: Math.round(median(boots)),
      checkpoint_pause_ms: r1(median(pauses)),
      checkpoint_total_ms: Math.round(median(totals)),
      checkpoint_mb: r1(median(sizes)),
      restore_ms: Math.round(median(restores)),
      migrate_total_ms: Math.round(median(migTotals)),
      migrate_downtime_ms: r1(median(migDowntimes)),
      rounds,
    };
    return {
      table: [
        ['figure', 'median', 'min', 'max', 'target (TCG)'],
        ['boot to agent answering (ms)', figures.boot_ms, Math.round(Math.min(...boots)), Math.round(Math.max(...boots)), '<= 1500'],
        ['checkpoint pause (ms)', figures.checkpoint_pause_ms, r1(Math.min(...pauses)), r1(Math.max(...pauses)), '<= 100'],
        ['checkpoint total (ms)', figures.checkpoint_total_ms, Math.round(Math.min(...totals)), Math.round(Math.max(...totals)), '<= 1000'],
        ['checkpoint size (MB)', figures.checkpoint_mb, r1(Math.min(...sizes)), r1(Math.max(...sizes)), ''],
        ['restore to agent answering (ms)', figures.restore_ms, Math.round(Math.min(...restores)), Math.round(Math.max(...restores)), '<= 500'],
        ['migration total (ms)', figures.migrate_total_ms, Math.round(Math.min(...migTotals)), Math.round(Math.max(...migTotals)), ''],
        ['migration downtime (ms)', figures.migrate_downtime_ms, r1(Math.min(...migDowntimes)), r1(Math.max(...migDowntimes)), '<= 100'],
      ],
      figures,
    };
  } finally {
    await hostA.stop();
    await hostB.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}) satisfies Benchmark;
