// The agent's standing idle cost: CPU share of one core and RSS of an agent doing nothing.
// Later parts (heartbeats, the QoS monitor) are measured here with them switched on.
import { cpuSeconds, rssMiB } from './proc-stats.ts';
import { removeDir, startAgent } from '../test/support/agent-process.ts';
import type { Benchmark } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default (async ({ quick, progress }) => {
  const settleMs = quick ? 3_000 : 10_000;
  const windowMs = quick ? 10_000 : 30_000;
  const agent = await startAgent();
  const pid = agent.proc.pid!;
  try {
    progress(`agent pid ${pid} started; settling ${settleMs / 1000} s`);
    await sleep(settleMs);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    let rssMax = 0;
    const rssSamples: number[] = [];
    progress(`measuring for ${windowMs / 1000} s`);
    while (performance.now() - t0 < windowMs) {
      await sleep(1000);
      const rss = rssMiB(pid);
      rssSamples.push(rss);
      rssMax = Math.max(rssMax, rss);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpuPct = ((cpuSeconds(pid) - cpu0) / elapsed) * 100;
    const rssMean = rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length;
    return {
      table: [
        ['figure', 'value', 'target'],
        ['window (s)', Number(elapsed.toFixed(1)), ''],
        ['cpu % of one core', Number(cpuPct.toFixed(3)), '<= 0.5'],
        ['rss MiB (max)', Number(rssMax.toFixed(1)), '<= 80'],
        ['rss MiB (mean)', Number(rssMean.toFixed(1)), ''],
      ],
      figures: { cpu_pct: Number(cpuPct.toFixed(3)), rss_mb: Number(rssMax.toFixed(1)) },
    };
  } finally {
    await agent.stop();
    removeDir(agent.dataDir);
  }
}) satisfies Benchmark;
