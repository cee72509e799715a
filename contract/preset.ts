import { z } from 'zod';
import { DonationLimits, DonationLimitsPatch } from './limits.ts';

export const PRESET_VERSION = 1;

/** Settings a lab manager can lock: the app shows them read-only and refuses changes to them. */
export const LockableSetting = z.enum([...DonationLimits.keyof().options, 'startAtLogin', 'grid', 'updates']);
export type LockableSetting = z.infer<typeof LockableSetting>;

/**
 * A lab preset (build/presets/*.json): shipped inside an installer and applied on the first run,
 * so a machine joins the right grid with the right limits without asking anything.
 */
export const Preset = z.object({
  version: z.literal(PRESET_VERSION),
  /** Shown in the app ("Managed by: …"). */
  name: z.string().trim().min(1).max(80),
  description: z.string().max(500).optional(),
  /** The grid to join on first run: an invite from `phantom grid invite` (opaque here). */
  grid: z.object({
    invite: z.string().trim().min(8).max(8192),
  }).strict().nullable().default(null),
  /** Default donation; fields left out keep the app's defaults. Checked against the machine on apply. */
  limits: DonationLimitsPatch.default({}),
  startAtLogin: z.boolean().default(true),
  locked: z.array(LockableSetting).max(32).default([]).refine((l) => new Set(l).size === l.length, 'each setting at most once'),
  /** A lab-hosted electron-updater "generic" feed; null (the default) = no automatic updates. */
  updates: z.object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of the update feed' }),
    /** Check interval in hours. */
    checkEveryHours: z.number().int().min(1).max(24 * 7).default(6),
  }).strict().nullable().default(null),
}).strict();
export type Preset = z.infer<typeof Preset>;
export type PresetInput = z.input<typeof Preset>;
