/**
 * The availability score: how good a machine is at being a super-peer or region peer. Defined here
 * and nowhere else; elections rank by it (ties broken by node id) and a leader hands over to a
 * member that beats it by HANDOVER_MARGIN.
 *
 *   score = 0.5 · free + 0.3 · uptime + 0.2 · reliability            (each term in [0, 1])
 *   free        = ½ · min(1, freeCores / 16) + ½ · min(1, freeMemoryMiB / 32768)
 *   uptime      = 1 − exp(−uptimeHours / 24)        (a day of uptime counts ~63%)
 *   reliability = 1 / (1 + failures in the last 7 days)
 *
 * Free resources weigh most because a leader does work for everyone; uptime and failure history
 * predict how long it will stay, which is what a leader change costs.
 */
export interface AvailabilityInput {
  readonly freeCores: number;
  readonly freeMemoryMiB: number;
  readonly uptimeMs: number;
  /** Crashes or unclean restarts in the last 7 days. */
  readonly recentFailures: number;
}

export const HANDOVER_MARGIN = 1.25;

export function availabilityScore(i: AvailabilityInput): number {
  const free = 0.5 * Math.min(1, Math.max(0, i.freeCores) / 16) + 0.5 * Math.min(1, Math.max(0, i.freeMemoryMiB) / 32768);
  const uptime = 1 - Math.exp(-Math.max(0, i.uptimeMs) / 3_600_000 / 24);
  const reliability = 1 / (1 + Math.max(0, i.recentFailures));
  const s = 0.5 * free + 0.3 * uptime + 0.2 * reliability;
  // Rounded so that scores compare equal across machines and serialize identically.
  return Math.round(s * 1e6) / 1e6;
}

/** Election order: higher score first, then lower id. Negative when a ranks before b. */
export function compareRank(a: { score: number; id: string }, b: { score: number; id: string }): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
