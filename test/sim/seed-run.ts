// Runs one simulation seed the way CI does, and says how to replay it.
import { runSimulation, type SimReport } from '../../agent/src/sim/run.ts';
import { parseFaults } from '../../agent/src/sim/faults.ts';
import { createReedSolomonCodec } from '../../agent/src/net/reed-solomon.ts';
import { createEd25519Signatures, createGridKey } from '../../agent/src/net/invite-crypto.ts';

const erasure = createReedSolomonCodec();
const signatures = createEd25519Signatures();
const gridKey = createGridKey();
const forgerKey = createGridKey();

export interface SeedCase {
  seed: number;
  nodes: number;
  regions: number;
  minutes: number;
  faults: string;
}

/** Every seed crashes a super-peer, then a region peer, then partitions (a region or a LAN) and heals, under loss. */
export function seedCase(seed: number, nodes: number, regions: number, minutes = 10): SeedCase {
  const scope = seed % 2 === 0 ? 'site' : 'region';
  return { seed, nodes, regions, minutes, faults: `loss=0.005,sp-crash@150s,rp-crash@210s,partition@270s+60s:${scope}` };
}

export function replayCommand(c: SeedCase): string {
  return `phantom sim --nodes ${c.nodes} --regions ${c.regions} --minutes ${c.minutes} --seed ${c.seed} --faults '${c.faults}'`;
}

export async function runSeed(c: SeedCase): Promise<SimReport> {
  return runSimulation({
    seed: c.seed, nodes: c.nodes, regions: c.regions, durationMs: c.minutes * 60_000,
    faults: parseFaults(c.faults), erasure, signatures, gridKey, forgerKey,
  });
}

export function faultLine(c: SeedCase, r: SimReport): string {
  const f = r.faults;
  return `seed ${c.seed} (${c.nodes} nodes, ${c.regions} regions): sp-crash ${f.superPeerCrashes}, rp-crash ${f.regionPeerCrashes}, crashes ${f.crashes}, restarts ${f.restarts}, partitions ${f.partitions}/${f.heals} healed, loss ${f.loss}, lost msgs ${r.messages.lost}; failovers ${r.failovers.subgrid.length}+${r.failovers.region.length}, checks ${r.stableChecks}, queries ${r.queries.checkedAnswered}/${r.queries.checked}, writes ${r.writes.acked} acked`;
}

export function describeFailure(c: SeedCase, r: SimReport): string {
  return `seed ${c.seed} broke ${r.violations.length} invariant check(s); replay with:\n  ${replayCommand(c)}\n${r.violations.slice(0, 10).map((v) => `  at ${(v.at / 1000).toFixed(1)} s: ${v.invariant}: ${v.detail}`).join('\n')}`;
}
