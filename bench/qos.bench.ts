// Cost of one sweep over every process: the native addon vs a plain-JS /proc reader vs
// systeminformation.processes(), in the same run, interleaved, medians.
//
// Like for like: the headline figures compare processes-only sweeps. The addon and the JS reader
// read the same three files per process (stat, status, cgroup: pid, ppid, comm, state, uid, start
// time, CPU ticks, last core, RSS, cgroup); systeminformation runs `ps` and then `cat`s every
// /proc/<pid>/stat (a superset of columns, command lines, but no cgroup). Sweeps that also read
// every thread are reported beside them. systeminformation caches processes() for 500 ms: every
// call here comes > 500 ms after the previous one finished, so each one does the work.
import si from 'systeminformation';
import { buildNative } from '../scripts/build-native.ts';
import { sweep } from '../native/lib/index.ts';
import { jsSweep } from '../native/lib/js-sweep.ts';
import { median } from './proc-stats.ts';
import type { Benchmark } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SI_CACHE_MS = 500;

// Wall time is what a sampler waits; CPU time (all threads of this process, so the addon's
// worker thread counts) is what sampling all day costs, and is less disturbed by other load.
async function timed<T>(f: () => T | Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

const round3 = (x: number) => Number(x.toFixed(3));

export default (async ({ quick, progress }) => {
  await buildNative({ log: progress });
  const rounds = quick ? 5 : 15;
  const perRound = 10; // addon/JS sweeps per round, between two systeminformation calls
  const ms = { addon: [] as number[], addonThreads: [] as number[], js: [] as number[], jsThreads: [] as number[], si: [] as number[] };
  const cpu = { addon: [] as number[], js: [] as number[] };
  const counts = { addon: 0, js: 0, si: 0, threads: 0 };

  // Warm up each reader once (JIT, thread pool start, ps in the page cache); not counted.
  await sweep({ threads: false });
  jsSweep({ threads: false });
  await si.processes();
  await sleep(SI_CACHE_MS + 100);

  progress(`${rounds} rounds: ${perRound} sweeps of each kind, then one systeminformation.processes()`);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < perRound; i++) {
      const a = await timed(() => sweep({ threads: false }));
      ms.addon.push(a.ms);
      cpu.addon.push(a.cpuMs);
      counts.addon = a.value.processes.length;
      const at = await timed(() => sweep({ threads: true }));
      ms.addonThreads.push(at.ms);
      counts.threads = at.value.processes.reduce((n, p) => n + p.threads.length, 0);
      const j = await timed(() => jsSweep({ threads: false }));
      ms.js.push(j.ms);
      cpu.js.push(j.cpuMs);
      counts.js = j.value.processes.length;
      ms.jsThreads.push((await timed(() => jsSweep({ threads: true }))).ms);
    }
    const s = await timed(() => si.processes());
    ms.si.push(s.ms);
    counts.si = s.value.list.length;
    await sleep(SI_CACHE_MS + 100); // outside its cache: the next call does the work again
  }

  const m = {
    addon: median(ms.addon),
    addonThreads: median(ms.addonThreads),
    js: median(ms.js),
    jsThreads: median(ms.jsThreads),
    si: median(ms.si),
  };
  const cpuAddon = median(cpu.addon);
  const cpuJs = median(cpu.js);
  const ratio = (x: number) => Number((x / m.addon).toFixed(1));
  return {
    table: [
      ['reader', 'reads', 'runs', 'median ms', 'x addon'],
      ['addon (processes)', `${counts.addon} processes: stat+status+cgroup`, ms.addon.length, round3(m.addon), 1],
      ['plain JS (processes)', `${counts.js} processes: stat+status+cgroup`, ms.js.length, round3(m.js), ratio(m.js)],
      ['systeminformation.processes()', `${counts.si} processes: ps + /proc/<pid>/stat`, ms.si.length, round3(m.si), ratio(m.si)],
      ['addon (processes + threads)', `+ ${counts.threads} threads: task/<tid>/stat`, ms.addonThreads.length, round3(m.addonThreads), ratio(m.addonThreads)],
      ['plain JS (processes + threads)', `+ threads: task/<tid>/stat`, ms.jsThreads.length, round3(m.jsThreads), ratio(m.jsThreads)],
      ['addon (processes), CPU time', 'all threads of this process', cpu.addon.length, round3(cpuAddon), ''],
      ['plain JS (processes), CPU time', '', cpu.js.length, round3(cpuJs), Number((cpuJs / cpuAddon).toFixed(1))],
      ['target', 'ratio_si = si / addon (processes)', '', '', '>= 50'],
    ],
    figures: {
      sweep_ms_addon: round3(m.addon),
      sweep_ms_js: round3(m.js),
      sweep_ms_si: round3(m.si),
      ratio_si: ratio(m.si),
      ratio_js: ratio(m.js),
      sweep_ms_addon_threads: round3(m.addonThreads),
      sweep_ms_js_threads: round3(m.jsThreads),
      cpu_ms_addon: round3(cpuAddon),
      cpu_ms_js: round3(cpuJs),
      processes: counts.addon,
      threads: counts.threads,
    },
  };
}) satisfies Benchmark;
