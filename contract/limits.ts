import { z } from 'zod';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');

/** One window in which the owner allows grid work; `days` 0 = Sunday. */
export const ScheduleWindow = z.object({
  days: z.array(z.number().int().min(0).max(6)).min(1).max(7),
  from: hhmm,
  to: hhmm,
});

/**
 * What the owner donates. Defaults (conventions): 50% CPU on all cores, 25% of memory,
 * 10 GiB disk, only while the owner is away or lightly active, paused on battery.
 */
export const DonationLimits = z.object({
  cpuPercent: z.number().int().min(0).max(100),
  /** Cores the guests may use; null = all. */
  cores: z.array(z.number().int().min(0).max(1023)).min(1).max(1024).nullable(),
  /** null = 25% of the machine, resolved by the agent. */
  memoryMiB: z.number().int().min(0).max(16 * 1024 * 1024).nullable(),
  diskMiB: z.number().int().min(0).max(64 * 1024 * 1024),
  /** Empty = any time. */
  schedule: z.array(ScheduleWindow).max(32),
  /** 0 = work also while the owner is lightly active. */
  onlyWhenIdleMinutes: z.number().int().min(0).max(24 * 60),
  pauseOnBattery: z.boolean(),
  /** false on dedicated nodes: no throttling, no monitor beyond status reporting. */
  qos: z.boolean(),
}).strict();
export type DonationLimits = z.infer<typeof DonationLimits>;

export const DEFAULT_LIMITS: DonationLimits = {
  cpuPercent: 50,
  cores: null,
  memoryMiB: null,
  diskMiB: 10 * 1024,
  schedule: [],
  onlyWhenIdleMinutes: 0,
  pauseOnBattery: true,
  qos: true,
};

/** A partial update; every given field is validated, the rest keep their value. */
export const DonationLimitsPatch = DonationLimits.partial().strict();
export type DonationLimitsPatch = z.infer<typeof DonationLimitsPatch>;
