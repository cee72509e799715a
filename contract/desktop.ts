import { z } from 'zod';

/**
 * Messages the desktop shell adds to the control API: pausing donation (tray menu and the browser
 * fallback's page) and the owner's presence as the OS reports it (power and idle events).
 */

/** `until` null = paused until resumed. */
export const PauseRequest = z.object({
  until: z.iso.datetime({ offset: true }).nullable(),
}).strict();
export type PauseRequest = z.infer<typeof PauseRequest>;

export const PauseState = z.object({
  paused: z.boolean(),
  /** When the pause ends by itself; null while paused = until resumed. */
  until: z.iso.datetime({ offset: true }).nullable(),
}).strict();
export type PauseState = z.infer<typeof PauseState>;

/** What Electron's powerMonitor says about the owner; every field optional, sent as it changes. */
export const PresenceReport = z.object({
  onBattery: z.boolean(),
  screenLocked: z.boolean(),
  /** Seconds since the owner last touched keyboard or mouse. */
  idleSeconds: z.number().int().min(0).max(365 * 24 * 3600),
  /** The machine is about to sleep (true) or has woken (false). */
  suspended: z.boolean(),
}).partial().strict();
export type PresenceReport = z.infer<typeof PresenceReport>;

const percent = z.number().min(0).max(100);

/** One sample of who used the machine: per core, percent busy from the owner's work and from grid guests. */
export const UsageSample = z.object({
  /** Unix time, ms. */
  t: z.number().int().nonnegative(),
  cores: z.array(z.object({ owner: percent, grid: percent }).strict()).max(1024),
  ownerMemMiB: z.number().int().nonnegative(),
  gridMemMiB: z.number().int().nonnegative(),
}).strict();
export type UsageSample = z.infer<typeof UsageSample>;

/** The last few minutes of samples, oldest first (the dashboard's charts). */
export const UsageHistory = z.object({ samples: z.array(UsageSample).max(3600) }).strict();
export type UsageHistory = z.infer<typeof UsageHistory>;

/**
 * What main answers on an IPC call: Electron keeps only the message of a thrown Error, so the
 * agent's status code and the field it names travel in an envelope the preload unwraps.
 */
export const IpcFailure = z.object({
  message: z.string(),
  status: z.number().int(),
  field: z.string().optional(),
});
export type IpcFailure = z.infer<typeof IpcFailure>;

export const IpcResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: IpcFailure }),
]);
export type IpcResult = z.infer<typeof IpcResult>;
