import { z } from 'zod';
import { DonationLimits, DEFAULT_LIMITS, PauseState } from '../../../contract/index.ts';

export const CONFIG_VERSION = 1;

/** The node's one config file. New fields get defaults so older files keep loading. */
export const NodeConfig = z.object({
  version: z.literal(CONFIG_VERSION),
  limits: DonationLimits.default(DEFAULT_LIMITS),
  /** The owner's pause survives a restart: "until tomorrow" means tomorrow. */
  pause: PauseState.default({ paused: false, until: null }),
}).strict();
export type NodeConfig = z.infer<typeof NodeConfig>;

export const defaultConfig = (): NodeConfig => ({ version: CONFIG_VERSION, limits: structuredClone(DEFAULT_LIMITS), pause: { paused: false, until: null } });
