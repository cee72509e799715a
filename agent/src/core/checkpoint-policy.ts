// Adaptive checkpoint interval (PhantomOS §4.1): checkpoints are pure overhead, so a machine takes
// them as often as its instability calls for and no more often.
//
//   I_n = W·I_{n-1} + (1−W)·I_{n-2}          (W from site policy)
//
// I_{n-1} is the interval the machine's recorded instability proposes now; I_{n-2} the interval
// used last. The proposal follows Young's first-order optimum √(2·C·MTBF): C is the measured cost
// of one checkpoint, MTBF the inverse of the instability rate (failures and owner reclaims per
// unit time, exponentially decayed so old history fades). Everything is clamped to [min, max].
// Exports to the job's parent happen on every k-th checkpoint and never closer than a minimum gap.
//
// Sans-IO: the clock is injected and the state is a plain object the caller persists.
import { z } from 'zod';

export const checkpointPolicyConfigSchema = z
  .object({
    /** Weight of the freshly proposed interval (site policy). */
    w: z.number().min(0).max(1).default(0.6),
    minIntervalMs: z.number().int().positive().default(30_000),
    maxIntervalMs: z.number().int().positive().default(60 * 60_000),
    /** How fast recorded events fade: an event counts half after this long. */
    halfLifeMs: z.number().int().positive().default(24 * 60 * 60_000),
    /** Cost assumed until a checkpoint has been measured. */
    initialCostMs: z.number().positive().default(1_000),
    /** Export every k-th checkpoint (k ≥ 2: exports are rarer than checkpoints). */
    exportEvery: z.number().int().min(2).default(3),
    exportMinGapMs: z.number().int().nonnegative().default(5 * 60_000),
  })
  .refine((c) => c.minIntervalMs <= c.maxIntervalMs, { message: 'minIntervalMs must not exceed maxIntervalMs', path: ['minIntervalMs'] });
export type CheckpointPolicyConfig = z.infer<typeof checkpointPolicyConfigSchema>;

export const instabilityEventKinds = ['failure', 'reclaim'] as const;
export type InstabilityEvent = (typeof instabilityEventKinds)[number];

/** What survives an agent restart (the machine's instability is a property of the machine). */
export const checkpointPolicyStateSchema = z.object({
  version: z.literal(1),
  /** Decayed event count and when it was last brought up to date. */
  score: z.number().nonnegative(),
  scoreAtMs: z.number().nonnegative(),
  /** Since when this machine has been observed: a young history is not yet evidence of stability. */
  observedSinceMs: z.number().nonnegative(),
  costMs: z.number().positive().nullable(),
  /** The last two intervals used, oldest first. */
  intervals: z.array(z.number().positive()).max(2),
  checkpointsSinceExport: z.number().int().nonnegative(),
  lastExportAtMs: z.number().nullable(),
});
export type CheckpointPolicyState = z.infer<typeof checkpointPolicyStateSchema>;

export interface Clock {
  now(): number;
}

export interface CheckpointPolicy {
  recordEvent(kind: InstabilityEvent): void;
  /** The measured duration of a checkpoint (smoothed). */
  recordCost(ms: number): void;
  /** Decayed instability events per hour. */
  instabilityPerHour(): number;
  /** The interval Young's rule proposes for the current instability, clamped. */
  proposedIntervalMs(): number;
  /** I_n: call when scheduling the next checkpoint; the result becomes part of the history. */
  nextIntervalMs(): number;
  /** Call after a checkpoint was sealed: says whether to export this one to the job's parent. */
  onCheckpointTaken(): { export: boolean };
  state(): CheckpointPolicyState;
}

const HOUR = 60 * 60_000;

export function createCheckpointPolicy(opts: { clock: Clock; config?: Partial<CheckpointPolicyConfig>; state?: unknown }): CheckpointPolicy {
  const cfg = checkpointPolicyConfigSchema.parse(opts.config ?? {});
  const clock = opts.clock;
  const t0 = clock.now();
  // A persisted state that does not validate is dropped: the policy restarts from no history.
  const loaded = opts.state === undefined ? null : checkpointPolicyStateSchema.safeParse(opts.state);
  let st: CheckpointPolicyState =
    loaded?.success
      ? { ...loaded.data }
      : { version: 1, score: 0, scoreAtMs: t0, observedSinceMs: t0, costMs: null, intervals: [], checkpointsSinceExport: 0, lastExportAtMs: null };

  const clamp = (ms: number) => Math.min(cfg.maxIntervalMs, Math.max(cfg.minIntervalMs, ms));

  const decayedScore = (now: number) => {
    const dt = Math.max(0, now - st.scoreAtMs);
    return st.score * Math.pow(0.5, dt / cfg.halfLifeMs);
  };

  const policy: CheckpointPolicy = {
    recordEvent(kind) {
      if (!instabilityEventKinds.includes(kind)) throw new Error(`unknown instability event ${String(kind)}`);
      const now = clock.now();
      st = { ...st, score: decayedScore(now) + 1, scoreAtMs: now };
    },
    recordCost(ms) {
      if (!(ms > 0) || !Number.isFinite(ms)) return;
      st = { ...st, costMs: st.costMs === null ? ms : 0.7 * st.costMs + 0.3 * ms };
    },
    instabilityPerHour() {
      const now = clock.now();
      // The decayed count covers an effective window of halfLife/ln2 (or less on a young machine).
      const windowMs = Math.min(cfg.halfLifeMs / Math.LN2, Math.max(HOUR, now - st.observedSinceMs));
      return (decayedScore(now) / windowMs) * HOUR;
    },
    proposedIntervalMs() {
      const rate = policy.instabilityPerHour() / HOUR; // events per ms
      if (rate <= 0) return cfg.maxIntervalMs;
      const mtbf = 1 / rate;
      const cost = st.costMs ?? cfg.initialCostMs;
      return clamp(Math.sqrt(2 * cost * mtbf));
    },
    nextIntervalMs() {
      const proposed = policy.proposedIntervalMs();
      const prev = st.intervals.at(-1) ?? proposed;
      const next = clamp(cfg.w * proposed + (1 - cfg.w) * prev);
      st = { ...st, intervals: [...st.intervals, next].slice(-2) };
      return next;
    },
    onCheckpointTaken() {
      const now = clock.now();
      const count = st.checkpointsSinceExport + 1;
      const gapOk = st.lastExportAtMs === null || now - st.lastExportAtMs >= cfg.exportMinGapMs;
      if (count >= cfg.exportEvery && gapOk) {
        st = { ...st, checkpointsSinceExport: 0, lastExportAtMs: now };
        return { export: true };
      }
      st = { ...st, checkpointsSinceExport: count };
      return { export: false };
    },
    state: () => ({ ...st, intervals: [...st.intervals] }),
  };
  return policy;
}
