import type { JobRequirements, NodeDescription } from '../../../../contract/broker.ts';
import { ALGORITHMS, createAlgorithm, type AlgorithmName, type PlacementContext } from '../../core/broker/index.ts';
import { createFlowNetwork } from '../flow-network.ts';
import { EventQueue } from './event-queue.ts';
import { drawPlatform, idleDescription, type Distribution, type Platform } from './platform.ts';

/**
 * The paper's experiment (section 4.3, figures 3–5) on the flow-level model: 1000 identical jobs
 * submitted at t = 0 and placed in order; each worker then runs its jobs one after another,
 * input transfer from the submitter (across the shared uplink and its own link) then compute.
 */
export const CATEGORIES = ['compute', 'network', 'hybrid'] as const;
export type Category = (typeof CATEGORIES)[number];

export const GIGA = 1e9;

export function categoryJob(category: Category, id: string): JobRequirements {
  return {
    id,
    work: category === 'network' ? 0 : GIGA,
    inputBytes: category === 'compute' ? 0 : GIGA,
    cores: 1,
    memoryMiB: 0,
    diskMiB: 0,
    minFlops: 0,
    minBandwidth: 0,
  };
}

export interface CellSpec {
  readonly category: Category;
  readonly workers: number;
  readonly distribution: Distribution;
  readonly seed: number;
  readonly jobs?: number;
}

export interface AlgorithmOutcome {
  readonly algorithm: AlgorithmName;
  /** Worker index chosen for each job, in submission order. */
  readonly placements: number[];
  /** Completion time of each job, seconds after t = 0. */
  readonly completions: number[];
  readonly meanCompletionS: number;
  readonly makespanS: number;
  /** Wall-clock-free measure of decision cost: number of decisions made. */
  readonly decisions: number;
}

export interface CellResult {
  readonly spec: Required<CellSpec>;
  readonly platform: Platform;
  readonly jobs: JobRequirements[];
  readonly outcomes: AlgorithmOutcome[];
}

export const PAPER_CONTEXT: PlacementContext = { uplinkBandwidth: 1e9, checkpointIntervalS: 600 };

export function runPaperCell(spec: CellSpec, algorithms: readonly AlgorithmName[] = ALGORITHMS): CellResult {
  const full = { jobs: 1000, ...spec };
  const platform = drawPlatform({ seed: full.seed, workers: full.workers, distribution: full.distribution });
  const jobs = Array.from({ length: full.jobs }, (_, k) => categoryJob(full.category, `${full.category}-${k}`));
  const ctx: PlacementContext = { ...PAPER_CONTEXT, uplinkBandwidth: platform.uplinkBandwidth };
  const outcomes = algorithms.map((name) => {
    const placements = placeAll(name, platform, jobs, ctx);
    const completions = execute(platform, jobs, placements);
    return summarize(name, placements, completions);
  });
  return { spec: full, platform, jobs, outcomes };
}

/** Places every job in order; each decision sees the queues the earlier ones built. */
export function placeAll(name: AlgorithmName, platform: Platform, jobs: readonly JobRequirements[], ctx: PlacementContext): number[] {
  const algorithm = createAlgorithm(name);
  const views: NodeDescription[] = platform.workers.map((w) => idleDescription(w, platform.uplinkBandwidth));
  return jobs.map((job) => {
    const i = algorithm.choose(job, views, ctx);
    if (i < 0) throw new Error(`${name} found no worker for ${job.id}`);
    const q = views[i]!.queue;
    q.jobs++;
    q.bytes += job.inputBytes;
    q.work += job.work;
    return i;
  });
}

/** Runs the placed jobs on the flow model; returns each job's completion time. */
export function execute(platform: Platform, jobs: readonly JobRequirements[], placements: readonly number[]): number[] {
  const net = createFlowNetwork<number>();
  net.addLink('uplink', { bandwidth: platform.uplinkBandwidth, latency: 0 });
  const queues: number[][] = platform.workers.map(() => []);
  placements.forEach((w, j) => queues[w]!.push(j));
  platform.workers.forEach((w, i) => {
    if (queues[i]!.length > 0) net.addLink(w.id, { bandwidth: w.bandwidth, latency: w.latencyS });
  });
  const next = platform.workers.map(() => 0);
  const computing = new EventQueue<number>();
  const completions = new Array<number>(jobs.length).fill(Number.NaN);

  const startNext = (w: number, now: number): void => {
    const j = queues[w]![next[w]!];
    if (j === undefined) return;
    const job = jobs[j]!;
    if (job.inputBytes > 0) net.start({ route: ['uplink', platform.workers[w]!.id], bytes: job.inputBytes, tag: w });
    else startCompute(w, now);
  };
  const startCompute = (w: number, now: number): void => {
    const job = jobs[queues[w]![next[w]!]!]!;
    computing.push(now + job.work / platform.workers[w]!.flops, w);
  };

  platform.workers.forEach((_, w) => startNext(w, 0));
  for (;;) {
    const t = Math.min(net.nextEventTime(), computing.peekTime());
    if (t === Infinity) break;
    for (const done of net.advanceTo(t)) startCompute(done.tag, done.at);
    while (computing.peekTime() <= t) {
      const { time, item: w } = computing.pop()!;
      completions[queues[w]![next[w]!]!] = time;
      next[w]!++;
      startNext(w, time);
    }
  }
  if (completions.some((c) => Number.isNaN(c))) throw new Error('a job never completed');
  return completions;
}

export function summarize(algorithm: AlgorithmName, placements: number[], completions: number[]): AlgorithmOutcome {
  let sum = 0;
  let max = 0;
  for (const c of completions) {
    sum += c;
    max = Math.max(max, c);
  }
  return { algorithm, placements, completions, meanCompletionS: sum / completions.length, makespanS: max, decisions: placements.length };
}
