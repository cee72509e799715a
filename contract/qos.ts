import { z } from 'zod';

/**
 * Keeping the owner first: local-process rules, the QoS policy's tunables and what the QoS
 * component reports. The donation limits themselves are in limits.ts.
 */

/** Caps one local application (matched by executable name, as in /proc/<pid>/comm). */
export const LocalRule = z.object({
  /** Executable name; the kernel keeps only the first 15 bytes of it, and so does matching. */
  exe: z.string().min(1).max(255).regex(/^[^/\0\n]+$/, 'expected an executable name, not a path'),
  /** Percent of the whole machine; null = no CPU cap. */
  cpuPercent: z.number().int().min(1).max(100).nullable(),
  /** null = no memory cap. */
  memoryMiB: z.number().int().min(16).max(16 * 1024 * 1024).nullable(),
}).strict();
export type LocalRule = z.infer<typeof LocalRule>;

export const LocalRules = z.array(LocalRule).max(64).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const key = r.exe.slice(0, 15);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'exe'], message: `a rule for "${key}" exists already` });
    seen.add(key);
  });
});
export type LocalRules = z.infer<typeof LocalRules>;

/** How the QoS component reacts to the owner; the defaults keep a desktop feeling untouched. */
export const QosPolicy = z.object({
  /** Samples per second of the monitor while guests run. */
  sampleHz: z.number().min(0.1).max(10),
  /** Samples per second with no guest placed: only the owner's history is kept then, so slower is enough. */
  sampleHzWithoutGuests: z.number().min(0.01).max(10),
  /** Owner CPU load (percent of the machine, the agent and guests excluded) that counts as the owner being active. */
  ownerBusyPercent: z.number().min(1).max(100),
  /** Input within this many seconds counts as the owner being at the machine. */
  inputActiveSeconds: z.number().min(1).max(3600),
  /** Owner quiet this long before guests get their full share back (the slow side of the hysteresis). */
  quietSeconds: z.number().min(0).max(3600),
  /** Percent of the machine kept free above the owner's recent peak while the owner is active. */
  headroomPercent: z.number().min(0).max(50),
  /** Owner pressure this long throttling the guests → ask the VM host to move the work elsewhere. */
  migrateAfterSeconds: z.number().min(1).max(24 * 3600),
}).strict();
export type QosPolicy = z.infer<typeof QosPolicy>;

export const DEFAULT_QOS_POLICY: QosPolicy = {
  sampleHz: 1,
  sampleHzWithoutGuests: 0.2,
  ownerBusyPercent: 10,
  inputActiveSeconds: 5,
  quietSeconds: 30,
  headroomPercent: 5,
  migrateAfterSeconds: 120,
};

export const OwnerState = z.enum(['active', 'away']);
export type OwnerState = z.infer<typeof OwnerState>;

/** run: the donation as set; throttled: cut to what the owner leaves free; paused: guests get a trickle; off: QoS disabled. */
export const QosMode = z.enum(['run', 'throttled', 'paused', 'off']);
export type QosMode = z.infer<typeof QosMode>;

/** Where an owner signal comes from, or why it is unknown. */
export const SignalSource = z.string();

export const QosStatus = z.object({
  enabled: z.boolean(),
  /** Cgroup layout found at start; 'none' = enforcement unavailable (layoutError says why). */
  layout: z.enum(['v1', 'v2', 'none']),
  layoutError: z.string().nullable(),
  /** The guests' parent group, relative to each hierarchy's root. */
  guestGroup: z.string().nullable(),
  mode: QosMode,
  reason: z.string(),
  owner: z.object({
    state: OwnerState,
    /** ISO time of the last change. */
    since: z.string(),
    cpuPercent: z.number().nullable(),
    /** Highest owner load within the quiet period: what throttling leaves room for. */
    peakCpuPercent: z.number().nullable(),
    idleSeconds: z.number().nullable(),
    idleSource: SignalSource,
    onBattery: z.boolean().nullable(),
    batterySource: SignalSource,
    fullscreen: z.boolean().nullable(),
    fullscreenSource: SignalSource,
  }),
  /** What is written to the guests' group now. */
  applied: z.object({
    cpuPercent: z.number(),
    cores: z.array(z.number().int()).nullable(),
    memoryMiB: z.number().nullable(),
    idle: z.boolean(),
  }).nullable(),
  /** Guests' measured CPU, percent of the machine, over the last sample. */
  guestCpuPercent: z.number().nullable(),
  /** Cores the guests' threads are pinned to (off the owner's busy cores); null = not pinned. */
  guestThreadCores: z.array(z.number().int()).nullable(),
  guests: z.array(z.object({ pid: z.number().int(), id: z.string(), memoryMiB: z.number().nullable() })),
  /** The memory limit asked for is below what running guests hold: these must move first. */
  memoryShortfall: z.object({ limitMiB: z.number(), heldMiB: z.number(), mustMove: z.array(z.string()) }).nullable(),
  rules: z.array(z.object({
    exe: z.string(),
    pids: z.array(z.number().int()),
    cpuPercent: z.number().nullable(),
    memoryMiB: z.number().nullable(),
    breaches: z.number().int(),
    lastBreach: z.string().nullable(),
  })),
  /** Why the monitor cannot sample (native addon missing…); limits are still enforced. */
  monitorError: z.string().nullable(),
  lastSampleAt: z.string().nullable(),
  /** Wall time of the last sample (sweep + bookkeeping). */
  sampleMs: z.number().nullable(),
});
export type QosStatus = z.infer<typeof QosStatus>;

/** What the QoS component asks of the VM host when the owner's pressure does not go away. */
export const MigrateRequest = z.object({
  reason: z.enum(['owner-pressure', 'memory-limit']),
  /** Guest ids to move, most urgent first (memory: newest first). */
  guests: z.array(z.string()),
  since: z.string(),
  detail: z.string(),
});
export type MigrateRequest = z.infer<typeof MigrateRequest>;
