import type { NodeDescription } from '../../../../contract/broker.ts';
import { createRng } from './rng.ts';

/**
 * The paper's star platform: one submitter whose own link (1 GB/s) carries every transfer, and
 * workers each behind one link of 56 kbit/s … 10 MB/s with a speed of 10 KFLOPS … 100 MFLOPS.
 */
export const PAPER = {
  uplinkBandwidth: 1e9,
  bandwidth: { lo: 56_000 / 8, hi: 10e6 },
  flops: { lo: 1e4, hi: 1e8 },
  /** One-way latency of a worker link; the paper gives none, so a typical WAN figure. */
  latencyS: 0.01,
} as const;

export type Distribution = 'uniform' | 'log-uniform';

export interface Worker {
  readonly id: string;
  /** Bytes/s of the worker's own link. */
  readonly bandwidth: number;
  readonly flops: number;
  readonly latencyS: number;
}

export interface Platform {
  readonly seed: number;
  readonly distribution: Distribution;
  readonly uplinkBandwidth: number;
  readonly workers: readonly Worker[];
}

export function drawPlatform(opts: { seed: number; workers: number; distribution: Distribution }): Platform {
  const rng = createRng(opts.seed);
  const draw = opts.distribution === 'uniform' ? rng.uniform : rng.logUniform;
  const workers: Worker[] = [];
  for (let i = 0; i < opts.workers; i++) {
    workers.push({
      id: `w${String(i).padStart(4, '0')}`,
      bandwidth: draw(PAPER.bandwidth.lo, PAPER.bandwidth.hi),
      flops: draw(PAPER.flops.lo, PAPER.flops.hi),
      latencyS: PAPER.latencyS,
    });
  }
  return { seed: opts.seed, distribution: opts.distribution, uplinkBandwidth: PAPER.uplinkBandwidth, workers };
}

/** A worker as a freshly polled, idle, stable node with nothing queued. */
export function idleDescription(w: Worker, uplinkBandwidth: number): NodeDescription {
  return {
    nodeId: w.id,
    freeCores: 1,
    flops: w.flops,
    freeMemoryMiB: 4096,
    freeDiskMiB: 10240,
    load: { current: 0, mean: 0, trendPerHour: 0 },
    history: { observedS: 7 * 86400, failures: 0, meanRepairS: 0, reclaims: 0, meanReclaimS: 0 },
    link: { bandwidth: Math.min(w.bandwidth, uplinkBandwidth), rttS: 2 * w.latencyS },
    queue: { jobs: 0, bytes: 0, work: 0 },
  };
}
