// Does the owner's work still come first? A CPU-bound owner task is timed alone and beside busy
// guests under the QoS component's enforcement (default donation limits, monitor on), in the
// same run, for an owner using one core and an owner using every core. Until the VM host exists
// the guests are a busy process tree (one loop per core) in the guests' cgroup.
//
// Figures: owner_slowdown_pct / owner_all_cores_slowdown_pct (median of interleaved runs),
// guest_share_pct (guests' CPU, % of the machine, while the owner uses one core), react_ms (owner
// load starts → guests' share measured from their cgroup's cpuacct.usage halves; all-cores owner),
// cap_error_pct (largest |measured − cap| at caps of 25/50/75%).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_LIMITS, DEFAULT_QOS_POLICY } from '../contract/index.ts';
import { createNativeApi } from '../native/lib/index.ts';
import { parseProcCgroup } from '../agent/src/qos/cgroup-layout.ts';
import { createQos } from '../agent/src/qos/qos.ts';
import { systemClock, systemTimers } from '../agent/src/qos/system-time.ts';
import { median } from './proc-stats.ts';
import type { Benchmark } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CPU-bound owner process that waits for a byte on stdin, does `n` iterations, prints its ms. */
const OWNER_TASK = `
const n = Number(process.argv[1]);
process.stdin.once('data', () => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < n; i++) x += Math.sqrt(i ^ (x & 1023));
  process.stdout.write(String(performance.now() - t0) + ' ' + (x > 0 ? '' : '-') + '\\n');
  process.exit(0);
});`;

interface OwnerRun {
  /** Wall ms until every owner process finished its work. */
  readonly ms: number;
  /** performance.now() when the owners were told to start. */
  readonly startedAt: number;
}

/** Starts `procs` owner processes, lets them all load, then releases them at once. */
async function runOwner(procs: number, n: number, onStart?: (t: number) => void, place?: (pid: number) => void): Promise<OwnerRun> {
  const children: ChildProcess[] = [];
  const outputs: Promise<number>[] = [];
  for (let i = 0; i < procs; i++) {
    const c = spawn(process.execPath, ['-e', OWNER_TASK, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    place?.(c.pid!);
    outputs.push(new Promise((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', (code) => (code === 0 ? resolve(Number(out.split(' ')[0])) : reject(new Error(`owner task exited with ${code}`))));
    }));
  }
  await sleep(400); // node start-up is not the owner's task
  const startedAt = performance.now();
  for (const c of children) c.stdin!.end('x');
  onStart?.(startedAt);
  const times = await Promise.all(outputs);
  return { ms: Math.max(...times), startedAt };
}

export default (async ({ quick, args, progress }) => {
  // --isolated: owner, guests and this process run inside one high-weight cgroup and only the
  // bench's owner tasks count as the owner, so other work on a shared machine cannot swamp the
  // figures. Without it the machine is taken as it is.
  const isolated = args.includes('--isolated');
  const native = createNativeApi();
  const addonError = native.nativeAddonError();
  if (addonError) throw new Error(addonError);
  const cpuCount = native.cpuCount();
  const runs = quick ? 3 : 5;
  const quietSeconds = 3;
  const benchGroup = `phantom-bench-${process.pid}`;
  const root = isolated ? `${benchGroup}/grid` : benchGroup;
  const ownerPids = new Set<number>();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const qos = createQos({
    log, clock: systemClock, timers: systemTimers, native, cpuCount, cgroupBase: 'self', cgroupRoot: root, limits: DEFAULT_LIMITS,
    // Default policy but a short quiet period, so guests are back at their full donation before
    // each owner run instead of after the default 30 s.
    policy: { ...DEFAULT_QOS_POLICY, quietSeconds },
    ...(isolated ? { isOwner: (p: { pid: number; ppid: number }) => ownerPids.has(p.pid) } : {}),
  });
  await qos.start();
  const cpuRoot = '/sys/fs/cgroup/cpu';
  const loadBefore = loadavg()[0]!;
  const self = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')).v1;
  const acctFile = join('/sys/fs/cgroup/cpuacct', self['cpuacct'] ?? '/', root, 'guests', 'cpuacct.usage');
  const benchDir = join(cpuRoot, self['cpu'] ?? '/', benchGroup);
  const ownerDir = join(benchDir, 'owner');
  if (isolated) {
    writeFileSync(join(benchDir, 'cpu.shares'), '262144');
    mkdirSync(ownerDir, { recursive: true });
    writeFileSync(join(benchDir, 'cgroup.procs'), String(process.pid));
  }
  const placeOwner = (pid: number) => {
    ownerPids.add(pid);
    if (isolated) writeFileSync(join(ownerDir, 'cgroup.procs'), String(pid));
  };
  const guestNs = (): number => Number(readFileSync(acctFile, 'utf8'));

  // The guests: a process tree, one busy loop per core, forked after the parent is placed so the
  // loops start inside the group as a real guest's threads would.
  const loops = Array.from({ length: cpuCount }, () => '(while :; do :; done) &').join(' ');
  const tree = spawn('/bin/sh', ['-c', `sleep 0.3; ${loops} wait`], { stdio: 'ignore', detached: true });
  qos.placeGuest(tree.pid!, { id: 'busy-tree' });
  await sleep(600);
  const signalGuests = (sig: NodeJS.Signals) => process.kill(-tree.pid!, sig);

  /** Guests' CPU in % of the machine between two (ns, ms) readings. */
  const share = (a: { ns: number; t: number }, b: { ns: number; t: number }) => ((b.ns - a.ns) / 1e6 / (b.t - a.t) / cpuCount) * 100;
  const reading = () => ({ ns: guestNs(), t: performance.now() });

  const calibrate = async (): Promise<number> => {
    let n = 20_000_000;
    const target = quick ? 700 : 1500;
    for (let i = 0; i < 3; i++) {
      const { ms } = await runOwner(1, n, undefined, placeOwner);
      n = Math.round((n * target) / ms);
    }
    return n;
  };

  const result = {
    one: { alone: [] as number[], beside: [] as number[], guestShare: [] as number[] },
    all: { alone: [] as number[], beside: [] as number[], react: [] as number[], monitor: [] as number[] },
  };
  let caps: Array<{ cap: number; measured: number }> = [];
  try {
    signalGuests('SIGSTOP');
    const n = await calibrate();
    progress(`owner task: ${n} iterations; ${runs} interleaved runs per case; ${cpuCount} cores`);

    const alone = async (procs: number) => {
      signalGuests('SIGSTOP');
      await sleep(300);
      return (await runOwner(procs, n, undefined, placeOwner)).ms;
    };
    /** Guests running at their donation (the monitor released them) when the owner starts. */
    const beside = async (procs: number) => {
      signalGuests('SIGCONT');
      const until = performance.now() + (quietSeconds + 3) * 1000;
      while (qos.status().mode !== 'run' && performance.now() < until) await sleep(100);
      await sleep(1500);
      const before = reading();
      await sleep(500);
      const baseline = share(before, reading());
      const samples: Array<{ ns: number; t: number }> = [];
      let monitorAt: number | null = null;
      let t0 = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples.push(reading());
          if (monitorAt === null && t0 && qos.status().mode !== 'run') monitorAt = performance.now();
          await sleep(10);
        }
      })();
      const run = await runOwner(procs, n, (t) => (t0 = t), placeOwner);
      sampling = false;
      await sampler;
      // React: end of the first 50 ms window after the start whose guest share is under half the baseline.
      let reactMs: number | null = null;
      for (let i = 0, j = 0; j < samples.length; j++) {
        while (samples[j]!.t - samples[i]!.t > 50) i++;
        if (samples[j]!.t <= run.startedAt || samples[j]!.t - samples[i]!.t < 30 || samples[i]!.t < run.startedAt) continue;
        if (share(samples[i]!, samples[j]!) < baseline / 2) {
          reactMs = samples[j]!.t - run.startedAt;
          break;
        }
      }
      const during = samples.filter((s) => s.t >= run.startedAt);
      const guestShare = during.length >= 2 ? share(during[0]!, during[during.length - 1]!) : NaN;
      return { ms: run.ms, reactMs, guestShare, baseline, monitorMs: monitorAt === null ? null : monitorAt - run.startedAt };
    };

    for (let r = 0; r < runs; r++) {
      // ABBA order so neither side always runs first.
      const order = r % 2 === 0 ? ['alone', 'beside'] : ['beside', 'alone'];
      for (const [key, procs] of [['one', 1], ['all', cpuCount]] as const) {
        for (const side of order) {
          if (side === 'alone') {
            result[key].alone.push(await alone(procs));
          } else {
            const b = await beside(procs);
            result[key].beside.push(b.ms);
            if (key === 'one') result.one.guestShare.push(b.guestShare);
            if (key === 'all') {
              if (b.reactMs !== null) result.all.react.push(b.reactMs);
              if (b.monitorMs !== null) result.all.monitor.push(b.monitorMs);
            }
            progress(`run ${r + 1} ${key}: beside ${b.ms.toFixed(0)} ms, guests ${b.baseline.toFixed(0)}% before, ${b.guestShare.toFixed(0)}% during, react ${b.reactMs?.toFixed(0) ?? '-'} ms`);
          }
        }
      }
      progress(`run ${r + 1}: one core alone ${result.one.alone.at(-1)!.toFixed(0)} ms; all cores alone ${result.all.alone.at(-1)!.toFixed(0)} ms`);
    }

    // Cap accuracy: QoS off (no throttling, no idle marking), so only the quota limits the guests.
    // The group also gets the highest weight here: on a shared machine other work would otherwise
    // keep the guests below their cap, and that would measure the neighbours, not the cap.
    signalGuests('SIGCONT');
    const cpuDir = join(cpuRoot, self['cpu'] ?? '/', root);
    for (const cap of [25, 50, 75]) {
      qos.applyLimits({ ...DEFAULT_LIMITS, qos: false, cpuPercent: cap });
      for (const d of [cpuDir, join(cpuDir, 'guests')]) writeFileSync(join(d, 'cpu.shares'), '262144');
      await sleep(700);
      const a = reading();
      await sleep(quick ? 1500 : 3000);
      caps.push({ cap, measured: share(a, reading()) });
      progress(`cap ${cap}%: measured ${caps.at(-1)!.measured.toFixed(2)}%`);
    }
  } finally {
    try {
      signalGuests('SIGCONT');
      signalGuests('SIGKILL');
    } catch {
      // already gone
    }
    await new Promise((r) => (tree.exitCode !== null ? r(null) : tree.once('exit', r)));
    await sleep(200);
    qos.removeGuest(tree.pid!);
    if (isolated) {
      writeFileSync(join(cpuRoot, self['cpu'] ?? '/', 'cgroup.procs'), String(process.pid));
      rmdirSync(ownerDir);
    }
    await qos.stop();
  }

  const pct = (beside: number[], alone: number[]) => (median(beside) / median(alone) - 1) * 100;
  const ownerSlowdown = pct(result.one.beside, result.one.alone);
  const allSlowdown = pct(result.all.beside, result.all.alone);
  const guestShare = median(result.one.guestShare);
  const reactMs = result.all.react.length ? median(result.all.react) : null;
  const capError = Math.max(...caps.map((c) => Math.abs(c.measured - c.cap)));
  const r1 = (x: number) => Number(x.toFixed(1));
  caps = caps.map((c) => ({ cap: c.cap, measured: r1(c.measured) }));
  return {
    table: [
      ['figure', 'value', 'target', 'runs'],
      ['owner 1 core alone (ms, median)', r1(median(result.one.alone)), '', result.one.alone.length],
      ['owner 1 core beside guests (ms, median)', r1(median(result.one.beside)), '', result.one.beside.length],
      ['owner_slowdown_pct', r1(ownerSlowdown), '<= 5', runs],
      ['owner all cores alone (ms, median)', r1(median(result.all.alone)), '', result.all.alone.length],
      ['owner all cores beside guests (ms, median)', r1(median(result.all.beside)), '', result.all.beside.length],
      ['owner_all_cores_slowdown_pct', r1(allSlowdown), '<= 5', runs],
      ['guest_share_pct (owner on 1 core)', r1(guestShare), '>= 40', result.one.guestShare.length],
      ['react_ms (cgroup-measured share halves)', reactMs === null ? 'n/a' : r1(reactMs), '<= 1000', result.all.react.length],
      ['monitor throttle ms (status leaves run)', result.all.monitor.length ? r1(median(result.all.monitor)) : 'n/a', '', result.all.monitor.length],
      ...caps.map((c) => [`cap ${c.cap}% measured`, c.measured, `${c.cap} ± 2`, 1]),
      ['cap_error_pct (max |error|)', r1(capError), '<= 2', caps.length],
      ['quiet period used (s)', quietSeconds, 'default 30', ''],
      ['isolated from other work on the machine', isolated ? 'yes' : 'no', '', ''],
      ['machine load average (1 min) before / after', `${loadBefore.toFixed(1)} / ${loadavg()[0]!.toFixed(1)}`, `${cpuCount} cores`, ''],
    ],
    figures: {
      owner_slowdown_pct: r1(ownerSlowdown),
      owner_all_cores_slowdown_pct: r1(allSlowdown),
      guest_share_pct: r1(guestShare),
      react_ms: reactMs === null ? null : r1(reactMs),
      cap_error_pct: r1(capError),
      load_avg_1m: r1(loadBefore),
      isolated,
    },
  };
}) satisfies Benchmark;
