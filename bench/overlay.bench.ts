// The overlay at 1000 nodes in the simulator: messages per query against Gnutella-style flooding on
// the same nodes, sites, latencies and queries (measured in the same run), super-peer failover
// time under repeated crashes, and how fast the simulator runs an hour of a 1000-node grid.
import { runSimulation, type QueryRecord } from '../agent/src/sim/run.ts';
import { runFloodBaseline } from '../agent/src/sim/flood.ts';
import type { FaultEvent } from '../agent/src/sim/faults.ts';
import { createReedSolomonCodec } from '../agent/src/net/reed-solomon.ts';
import { createEd25519Signatures, createGridKey } from '../agent/src/net/invite-crypto.ts';
import type { Benchmark } from './harness.ts';

const p = (xs: number[], q: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const round = (x: number | null, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

export default (async ({ quick, args, progress }) => {
  const nodes = 1000;
  const regions = 5;
  const hours = quick ? 0.25 : 1;
  const durationMs = hours * 3_600_000;
  const seed = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
  // A super-peer crash every 2 minutes and a region-peer crash every 10 (each restarts after a minute),
  // so the failover figure has samples; light loss throughout.
  const events: FaultEvent[] = [];
  for (let t = 4 * 60_000; t < durationMs - 3 * 60_000; t += 2 * 60_000) events.push({ kind: 'sp-crash', at: t });
  for (let t = 7 * 60_000; t < durationMs - 3 * 60_000; t += 10 * 60_000) events.push({ kind: 'rp-crash', at: t });
  events.sort((a, b) => a.at - b.at);
  const codec = createReedSolomonCodec();

  progress(`overlay: ${nodes} nodes, ${regions} regions, ${hours} h simulated, seed ${seed}`);

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const report = await runSimulation({
    seed, nodes, regions, durationMs,
    faults: { loss: 0.001, restartMs: 60_000, events },
    erasure: codec, signatures: createEd25519Signatures(), gridKey: createGridKey(), forgerKey: createGridKey(),
    queryEveryMs: 2_000,
    // Asked a little above the targets: a query is skipped when no spec of that reach exists at that moment.
    queryMix: { region: 0.33, remote: 0.12 },
    recordDetail: true,
    progress: (ms) => progress(`  simulated ${(ms / 60_000).toFixed(0)} min`),
  });
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const queryMsgs = report.messages.byTier.query ?? 0;
  const qs: QueryRecord[] = report.detail!.queries;
  const msgsPerQuery = queryMsgs / Math.max(1, qs.length);
  progress(`overlay done in ${wallS.toFixed(1)} s wall; ${qs.length} queries; flooding the same queries`);

  const flood = await runFloodBaseline({ seed, nodes: report.detail!.nodes, queries: qs, codec });
  const share = (s: string) => qs.filter((q) => q.scope === s).length / Math.max(1, qs.length);
  const failP99 = p(report.failovers.subgrid, 0.99);
  const regionP99 = p(report.failovers.region, 0.99);
  const figures = {
    nodes,
    msgs_per_query: round(msgsPerQuery, 2),
    flood_msgs_per_query: round(flood.messagesPerQuery, 1),
    ratio: round(flood.messagesPerQuery / msgsPerQuery, 1),
    failover_ms_p99: round(failP99),
    sim_s_per_hour: round(wallS / hours),
    failover_ms_median: round(p(report.failovers.subgrid, 0.5)),
    failovers: report.failovers.subgrid.length,
    region_failover_ms_p99: round(regionP99),
    queries: qs.length,
    region_share: round(share('region'), 3),
    remote_share: round(share('remote'), 3),
    answered: round(qs.filter((q) => q.answered).length / Math.max(1, qs.length), 4),
    flood_answered: round(flood.answered, 4),
    flood_reach: round(flood.reach, 3),
    cpu_s_per_hour: round((cpu.user + cpu.system) / 1e6 / hours),
    violations: report.violations.length,
    quick,
  };
  return {
    table: [
      ['figure', 'value', 'target'],
      ['messages per query (overlay)', figures.msgs_per_query!, ''],
      ['messages per query (flooding, TTL 7, degree 4)', figures.flood_msgs_per_query!, ''],
      ['ratio', figures.ratio!, '>= 100'],
      ['super-peer failover p99 (ms, simulated)', figures.failover_ms_p99 ?? 'n/a', '<= 1000'],
      ['super-peer failover median (ms)', figures.failover_ms_median ?? 'n/a', ''],
      ['super-peer failovers measured', figures.failovers, ''],
      ['region-peer failover p99 (ms)', figures.region_failover_ms_p99 ?? 'n/a', ''],
      ['wall s per simulated hour (1000 nodes)', figures.sim_s_per_hour!, '<= 60'],
      ['cpu s per simulated hour', figures.cpu_s_per_hour!, ''],
      ['queries (region / other region share)', `${qs.length} (${figures.region_share} / ${figures.remote_share})`, '>= 0.3 / >= 0.1'],
      ['answered (overlay / flooding)', `${figures.answered} / ${figures.flood_answered}`, ''],
      ['invariant violations', figures.violations, '0'],
    ],
    figures,
  };
}) satisfies Benchmark;
