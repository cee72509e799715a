// Runs INSIDE a guest VM booted with only cgroup v2 (see cgroup-v2-guest.test.ts): drives the
// agent's own v2 driver against the guest kernel and prints what the kernel reports back.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout } from '../../agent/src/qos/cgroup-layout.ts';
import { createCgroupDriver } from '../../agent/src/qos/cgroup.ts';

const out: Record<string, unknown> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};
try {
  const layout = detectCgroupLayout();
  out['layout'] = layout;
  const cpus = availableParallelism();
  out['cpus'] = cpus;
  if (layout.kind !== 'v2') throw new Error(`expected cgroup v2, found ${layout.kind}`);
  const driver = createCgroupDriver({ layout, cpuCount: cpus });
  const g = driver.group('phantom-grid/guests');
  const dir = g.dirs[0]!;
  const read = (f: string) => readFileSync(join(dir, f), 'utf8').trim();
  g.configure({ cpuPercent: 25, cores: [0], memoryBytes: 64 * 1024 * 1024, idle: true, weight: 100 });
  out['limited'] = { 'cpu.max': read('cpu.max'), 'cpu.idle': read('cpu.idle'), 'cpuset.cpus': read('cpuset.cpus'), 'memory.max': read('memory.max') };
  const busy = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  g.addPid(busy.pid!);
  out['procs'] = read('cgroup.procs').split('\n').map(Number);
  out['membership'] = readFileSync(`/proc/${busy.pid}/cgroup`, 'utf8').trim();
  await sleep(500);
  const t0 = ticks(busy.pid!), w0 = performance.now();
  await sleep(3000);
  // Percent of the whole machine, measured from /proc, as on the host.
  out['share'] = ((ticks(busy.pid!) - t0) / 100 / ((performance.now() - w0) / 1000) / cpus) * 100;
  const u = g.usage();
  out['usage'] = { cpuNs: u.cpuNs, memoryBytes: u.memoryBytes, throttledPeriods: u.throttledPeriods };
  out['contains'] = driver.contains('phantom-grid/guests', { v1: {}, v2: out['membership'] ? String(out['membership']).replace(/^0::/, '') : null });
  g.configure({ cpuPercent: null, cores: null, memoryBytes: null, idle: false, weight: 100 });
  out['released'] = { 'cpu.max': read('cpu.max'), 'cpu.idle': read('cpu.idle'), 'cpu.weight': read('cpu.weight'), 'memory.max': read('memory.max') };
  busy.kill('SIGKILL');
  await new Promise((r) => busy.once('exit', r));
  driver.remove('phantom-grid/guests');
  out['removed'] = !existsSync(dir) && !existsSync(join(dir, '..'));
} catch (err) {
  out['error'] = (err as Error).stack ?? String(err);
}
process.stdout.write(`V2PROBE ${JSON.stringify(out)}\n`);
