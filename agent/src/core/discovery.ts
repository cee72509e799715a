// Matching for resource discovery: what a query asks of one node, and what a region peer can tell
// from a sub-grid's aggregate (per-dimension maxima and totals: the cumulative theoretical peak).
import type { Aggregate, NodeResources, QuerySpec } from './messages.ts';

export function matches(spec: QuerySpec, res: NodeResources, vos: readonly string[]): boolean {
  return (
    res.cores >= (spec.cores ?? 0) &&
    res.memoryMiB >= (spec.memoryMiB ?? 0) &&
    res.flops >= (spec.flops ?? 0) &&
    res.diskMiB >= (spec.diskMiB ?? 0) &&
    res.bandwidthMbps >= (spec.minBandwidthMbps ?? 0) &&
    (spec.vo === undefined || vos.includes(spec.vo))
  );
}

export function aggregateOf(nodes: ReadonlyArray<{ res: NodeResources; vos: readonly string[] }>): Aggregate {
  const vos = new Set<string>();
  const a: Aggregate = { nodes: nodes.length, maxCores: 0, maxMemoryMiB: 0, maxFlops: 0, maxDiskMiB: 0, maxBandwidthMbps: 0, totalCores: 0, totalFlops: 0, vos: [] };
  for (const n of nodes) {
    a.maxCores = Math.max(a.maxCores, n.res.cores);
    a.maxMemoryMiB = Math.max(a.maxMemoryMiB, n.res.memoryMiB);
    a.maxFlops = Math.max(a.maxFlops, n.res.flops);
    a.maxDiskMiB = Math.max(a.maxDiskMiB, n.res.diskMiB);
    a.maxBandwidthMbps = Math.max(a.maxBandwidthMbps, n.res.bandwidthMbps);
    a.totalCores += n.res.cores;
    a.totalFlops += n.res.flops;
    for (const v of n.vos) vos.add(v);
  }
  a.vos = [...vos].sort();
  return a;
}

/** Necessary, not sufficient: no node in the sub-grid can match if this is false, so it is not asked. */
export function aggregateMaySatisfy(spec: QuerySpec, a: Aggregate): boolean {
  return (
    a.nodes > 0 &&
    a.maxCores >= (spec.cores ?? 0) &&
    a.maxMemoryMiB >= (spec.memoryMiB ?? 0) &&
    a.maxFlops >= (spec.flops ?? 0) &&
    a.maxDiskMiB >= (spec.diskMiB ?? 0) &&
    a.maxBandwidthMbps >= (spec.minBandwidthMbps ?? 0) &&
    (spec.vo === undefined || a.vos.includes(spec.vo))
  );
}

/** Query ids already handled, forgotten after `ttlMs`: no query is answered twice by one leader. */
export class SeenSet {
  private readonly seen = new Map<string, number>();
  private readonly ttlMs: number;
  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }
  /** True the first time `key` is offered within the TTL. */
  first(key: string, now: number): boolean {
    if (this.seen.size > 4096) for (const [k, t] of this.seen) if (now - t > this.ttlMs) this.seen.delete(k);
    const t = this.seen.get(key);
    if (t !== undefined && now - t <= this.ttlMs) return false;
    this.seen.set(key, now);
    return true;
  }
}
