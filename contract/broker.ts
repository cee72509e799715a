import { z } from 'zod';

/**
 * What the resource broker works with: a job's requirements (from the submitter) and the live
 * resource description a candidate node sends back when polled. Both cross a boundary (the control
 * API, the overlay's wire), so both are validated here and an error names the field.
 * Units: bytes, FLOP, FLOP/s, seconds, MiB; fractions in [0, 1].
 */
const nonNeg = (what: string) => z.number({ error: `${what} must be a number` }).finite().nonnegative(`${what} must be ≥ 0`);
const fraction = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `${what} must be in [0, 1]`).max(1, `${what} must be in [0, 1]`);

export const JobRequirements = z
  .object({
    id: z.string().min(1, 'id must not be empty').max(200),
    /** Floating-point operations the job performs. */
    work: nonNeg('work (FLOP)'),
    /** Bytes the job pulls from the submitter before it starts computing. */
    inputBytes: nonNeg('inputBytes'),
    cores: z.number().int('cores must be an integer').min(1, 'cores must be ≥ 1').max(1024).default(1),
    memoryMiB: nonNeg('memoryMiB').default(0),
    diskMiB: nonNeg('diskMiB').default(0),
    /** Smallest acceptable measured speed (ClassAds-style constraint); 0 means any. */
    minFlops: nonNeg('minFlops').default(0),
    /** Smallest acceptable bandwidth from the submitter; 0 means any. */
    minBandwidth: nonNeg('minBandwidth').default(0),
  })
  .strict();
export type JobRequirements = z.infer<typeof JobRequirements>;
export type JobRequirementsInput = z.input<typeof JobRequirements>;

export const NodeDescription = z
  .object({
    nodeId: z.string().min(1, 'nodeId must not be empty').max(200),
    freeCores: z.number().int('freeCores must be an integer').nonnegative('freeCores must be ≥ 0'),
    /** Measured peak speed of one job slot, FLOP/s (refreshed by the node's own benchmark). */
    flops: z.number().finite().positive('flops must be > 0'),
    freeMemoryMiB: nonNeg('freeMemoryMiB'),
    freeDiskMiB: nonNeg('freeDiskMiB'),
    /** Owner load on the CPU: now, its recent mean, and its trend (change per hour). */
    load: z
      .object({
        current: fraction('load.current'),
        mean: fraction('load.mean'),
        trendPerHour: z.number().finite().min(-1).max(1),
      })
      .strict(),
    /** Instability history over `observedS` seconds. */
    history: z
      .object({
        observedS: z.number().finite().positive('history.observedS must be > 0'),
        failures: z.number().int().nonnegative('history.failures must be ≥ 0'),
        meanRepairS: nonNeg('history.meanRepairS'),
        reclaims: z.number().int().nonnegative('history.reclaims must be ≥ 0'),
        meanReclaimS: nonNeg('history.meanReclaimS'),
      })
      .strict(),
    /** Measured from the requester at poll time. */
    link: z
      .object({
        bandwidth: z.number().finite().positive('link.bandwidth must be > 0 (bytes/s)'),
        rttS: nonNeg('link.rttS'),
      })
      .strict(),
    /** What the node already has to do: jobs queued or running, their remaining input bytes and FLOP. */
    queue: z
      .object({
        jobs: z.number().int().nonnegative('queue.jobs must be ≥ 0'),
        bytes: nonNeg('queue.bytes'),
        work: nonNeg('queue.work'),
      })
      .strict(),
  })
  .strict();
export type NodeDescription = z.infer<typeof NodeDescription>;

/** A zod error as one line per problem, each starting with the field's path. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
