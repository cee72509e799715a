// `phantom sim` output for people: what happened in the run, in a few lines.
import type { SimReport } from './run.ts';

const pct = (xs: number[], q: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const ms = (x: number | null) => (x === null ? '—' : `${Math.round(x)} ms`);

export function formatReport(r: SimReport, wallMs: number): string {
  const f = r.faults;
  const tiers = Object.entries(r.messages.byTier).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const scopes = Object.entries(r.queries.byScope).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `seed ${r.seed}: ${r.nodes} nodes on ${r.sites} sites in ${r.regions} regions, ${(r.virtualMs / 3_600_000).toFixed(2)} h simulated in ${(wallMs / 1000).toFixed(1)} s`,
    `sub-grids      ${r.subgrids} at the end; region peers ${Object.entries(r.regionPeers).map(([k, v]) => `${k}=${v ?? 'none'}`).join(' ')}`,
    `faults         loss ${f.loss}, super-peer crashes ${f.superPeerCrashes}, region-peer crashes ${f.regionPeerCrashes}, crashes ${f.crashes} (restarted ${f.restarts}), partitions ${f.partitions} (healed ${f.heals})`,
    `elections      ${r.elections} started; handovers to better machines ${r.handovers}; leaders stepping down after meeting another ${r.stepDowns}; empty regenerations ${r.emptyRegenerations}`,
    `failovers      super-peer ${r.failovers.subgrid.length} (median ${ms(pct(r.failovers.subgrid, 0.5))}, max ${ms(pct(r.failovers.subgrid, 1))}); region peer ${r.failovers.region.length} (median ${ms(pct(r.failovers.region, 0.5))}, max ${ms(pct(r.failovers.region, 1))})`,
    `state          ${r.encodes.commits} versions committed (${r.encodes.subgrid} sub-grid and ${r.encodes.region} region encodings); writes ${r.writes.acked}/${r.writes.issued} acknowledged, ${r.writes.exempt} lost beyond tolerance`,
    `queries        ${r.queries.issued} (${scopes}); answered ${r.queries.answered}; satisfiable while settled ${r.queries.checkedAnswered}/${r.queries.checked}`,
    `sign-in        ${r.refused} nodes refused (bad invites); ${r.rejectedMessages} malformed messages rejected`,
    `messages       ${r.messages.sent} sent (${tiers}); lost ${r.messages.lost}, cut by partitions ${r.messages.cut}`,
    `invariants     checked ${r.stableChecks} times: ${r.violations.length ? `${r.violations.length} VIOLATIONS` : 'all held'}`,
  ];
  for (const v of r.violations.slice(0, 20)) lines.push(`  at ${(v.at / 1000).toFixed(1)} s: ${v.invariant}: ${v.detail}`);
  return lines.join('\n');
}
