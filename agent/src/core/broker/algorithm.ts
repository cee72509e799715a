import type { JobRequirements, NodeDescription } from '../../../../contract/broker.ts';

/**
 * One placement decision: given a job and the live descriptions of the candidates (their queues
 * include every job this broker placed before), return the index of the chosen candidate, or -1
 * when no candidate meets the job's requirements. Every algorithm is O(n) in the candidates.
 */
export interface PlacementAlgorithm {
  readonly name: AlgorithmName;
  choose(job: JobRequirements, nodes: readonly NodeDescription[], ctx: PlacementContext): number;
  /**
   * The node holding `job` has gone away (failed, or reclaimed by its owner) for an expected
   * `stay.outageS`, after which the job still needs `stay.remainingS` there. Returns the index of a
   * node to move it to (its input is sent again; compute resumes from the last checkpoint), or -1 to
   * wait. The three baselines only place, as described, so they leave this out and their jobs wait.
   */
  rescue?(job: JobRequirements, stay: { outageS: number; remainingS: number }, nodes: readonly NodeDescription[], ctx: PlacementContext): number;
}

export const ALGORITHMS = ['round-robin', 'flops', 'ncda', 'ours'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

/** What the requester knows about itself. */
export interface PlacementContext {
  /** The submitter's own uplink, bytes/s: every input transfer of its jobs crosses it. */
  readonly uplinkBandwidth: number;
  /** Checkpoint interval every job runs with, seconds (lost work on a failure is half of it on average). */
  readonly checkpointIntervalS: number;
}

/** ClassAds-style requirements as hard constraints; every algorithm filters with the same test. */
export function eligible(job: JobRequirements, n: NodeDescription): boolean {
  return (
    n.freeCores >= job.cores &&
    n.freeMemoryMiB >= job.memoryMiB &&
    n.freeDiskMiB >= job.diskMiB &&
    n.flops >= job.minFlops &&
    n.link.bandwidth >= job.minBandwidth
  );
}

/** The speed a job gets now: the measured speed less what the owner is using at this moment. */
export function availableFlops(n: NodeDescription): number {
  return n.flops * Math.max(1e-6, 1 - n.load.current);
}
