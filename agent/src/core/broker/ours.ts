import type { JobRequirements, NodeDescription } from '../../../../contract/broker.ts';
import { eligible, type PlacementAlgorithm, type PlacementContext } from './algorithm.ts';

/**
 * Ours: the placement that adds the least to the sum of completion times of everything this
 * submitter has in flight (so the least to the mean), under a fluid model that sees what NCDA is
 * blind to. The model is written up with its reasons in docs/BROKER.md; in short:
 *
 *  - Shared uplink. Node i pulls its queued bytes D_i at its link rate r_i while it is not computing,
 *    so its average demand on the submitter's uplink is u_i = D_i / T_i with T_i = D_i/r_i + W_i/f_i.
 *    When U = Σ u_i exceeds the uplink capacity C, every transfer slows by σ = U / C (≥ 1).
 *    A placement that raises σ delays every queued transfer: that cost, (σ' − σ) · Z with Z the
 *    transfer part of all queued completion times, is charged to it. NCDA charges nothing, so it
 *    keeps spreading jobs over ever more nodes after the uplink is full, and every transfer crawls.
 *  - Unstable nodes. With failure rate λ (from the node's history), repair time R and checkpoint
 *    interval τ, a job of own time t loses on average λ(min(τ, t)/2 + min(R, t)) seconds per second
 *    it runs; owner reclaims add ρ·min(R_reclaim, t) (see riskPerSecond). The job's own time is
 *    inflated by that factor.
 *  - Move or wait. When the machine holding a job fails or is reclaimed, `rescue` moves the job if
 *    its best placement elsewhere beats the expected outage plus what is left there.
 *  - Load that changes. The current owner load holds for about `loadPersistenceS`; past that the
 *    node's mean load is the better forecast, so long jobs are costed with the mean.
 *
 * When the uplink is not saturated and nodes are stable, the cost is exactly NCDA's estimate, so
 * ours makes NCDA's choices there. Each decision is two passes over the candidates: O(n).
 */
export interface OursOptions {
  /** How long a load reading stays a good forecast, seconds. */
  readonly loadPersistenceS?: number;
  /** Ablations, for measuring what each part of the model is worth (all on by default). */
  readonly uplink?: boolean;
  readonly risk?: boolean;
  readonly loadForecast?: boolean;
  /** Move jobs off machines that fail or are reclaimed when waiting costs more. */
  readonly rescue?: boolean;
  /** A move must beat waiting by this factor (the estimate is rough and a move resends the input). */
  readonly moveMargin?: number;
}

export function createOurs(opts: OursOptions = {}): PlacementAlgorithm {
  const model: Model = {
    persistence: opts.loadForecast === false ? Infinity : (opts.loadPersistenceS ?? 600),
    uplink: opts.uplink !== false,
    risk: opts.risk !== false,
  };
  const moveMargin = opts.moveMargin ?? 1.25;
  // Per-instance scratch for each candidate's current uplink demand, reused across decisions.
  let demand = new Float64Array(0);
  const decide = (job: JobRequirements, nodes: readonly NodeDescription[], ctx: PlacementContext) => {
    if (demand.length < nodes.length) demand = new Float64Array(nodes.length * 2);
    return chooseOurs(job, nodes, ctx, model, demand);
  };
  return {
    name: 'ours',
    choose(job, nodes, ctx) {
      return decide(job, nodes, ctx).index;
    },
    rescue(job, stay, nodes, ctx) {
      if (opts.rescue === false) return -1;
      const best = decide(job, nodes, ctx);
      return best.index >= 0 && best.cost * moveMargin < stay.outageS + stay.remainingS ? best.index : -1;
    },
  };
}

interface Model {
  readonly persistence: number;
  readonly uplink: boolean;
  readonly risk: boolean;
}

function chooseOurs(
  job: JobRequirements,
  nodes: readonly NodeDescription[],
  ctx: PlacementContext,
  model: Model,
  demand: Float64Array,
): { index: number; cost: number } {
  const persistence = model.persistence;
  const C = model.uplink ? ctx.uplinkBandwidth : Infinity;
  // Pass 1: aggregate demand on the uplink and the transfer part of queued completion times.
  let U = 0;
  let Z = 0;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const D = n.queue.bytes;
    demand[i] = 0;
    if (D <= 0) continue;
    const r = n.link.bandwidth;
    const T = D / r + n.queue.work / flopsOverHorizon(n, n.queue.work, persistence);
    demand[i] = D / T;
    U += D / T;
    // FIFO queue of roughly equal jobs: the k-th of m finishes its transfer after k/m of D.
    Z += ((D / r) * (n.queue.jobs + 1)) / 2;
  }
  const sigma = Math.max(1, U / C);

  // Pass 2: marginal cost of each eligible candidate.
  let best = -1;
  let bestCost = Infinity;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (!eligible(job, n)) continue;
    const r = n.link.bandwidth;
    const D = n.queue.bytes;
    const W = n.queue.work + job.work;
    const f = flopsOverHorizon(n, W, persistence);
    const tt = (D + job.inputBytes) / r;
    const tc = W / f;
    let sigma2 = sigma;
    if (job.inputBytes > 0) {
      const after = (D + job.inputBytes) / (tt + tc);
      sigma2 = Math.max(1, (U - demand[i]! + after) / C);
    }
    const own = sigma2 * tt + tc + n.link.rttS;
    const risk = model.risk && (n.history.failures > 0 || n.history.reclaims > 0) ? riskPerSecond(n, ctx, own) : 0;
    const cost = own * (1 + risk) + Math.max(0, sigma2 - sigma) * Z;
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  return { index: best, cost: bestCost };
}

/** Expected speed over a computation of `work` FLOP: current load at first, the node's mean load after. */
export function flopsOverHorizon(n: NodeDescription, work: number, persistenceS: number): number {
  const fNow = n.flops * Math.max(1e-6, 1 - n.load.current);
  if (n.load.current === n.load.mean || work <= fNow * persistenceS) return fNow;
  const fMean = n.flops * Math.max(1e-6, 1 - n.load.mean);
  // Time-weighted: the first `persistenceS` at the current load, the rest at the mean.
  const workNow = fNow * persistenceS;
  return work / (persistenceS + (work - workNow) / fMean);
}

/**
 * Seconds lost per second spent on the node. A failure loses the work since the last checkpoint
 * (half an interval on average, or half the job if it is shorter) and then costs the repair time —
 * or, since ours moves a job when waiting costs more, at most about the job's own time again. An
 * owner reclaim loses nothing (the host checkpoints) but costs the same wait-or-move.
 */
export function riskPerSecond(n: NodeDescription, ctx: PlacementContext, ownS: number): number {
  const h = n.history;
  const failureRate = h.failures / h.observedS;
  const reclaimRate = h.reclaims / h.observedS;
  const lost = Math.min(ctx.checkpointIntervalS, ownS) / 2;
  return failureRate * (lost + Math.min(h.meanRepairS, ownS)) + reclaimRate * Math.min(h.meanReclaimS, ownS);
}
