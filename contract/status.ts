import { z } from 'zod';
import { ResourceDescription } from './resources.ts';
import { DonationLimits } from './limits.ts';
import { QosStatus } from './qos.ts';

export const NodeRole = z.enum(['unjoined', 'member', 'super-peer', 'region-peer']);
export type NodeRole = z.infer<typeof NodeRole>;

export const AgentState = z.enum(['starting', 'running', 'paused', 'stopping']);
export type AgentState = z.infer<typeof AgentState>;

export const NodeStatus = z.object({
  version: z.string(),
  peerId: z.string(),
  listenAddrs: z.array(z.string()),
  state: AgentState,
  role: NodeRole,
  startedAt: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  dataDir: z.string(),
  resources: ResourceDescription,
  limits: DonationLimits,
  /** null when the addon is present; otherwise why it is not and how to fix it. */
  nativeAddonError: z.string().nullable(),
  /** What the owner-first enforcement is doing now (absent from agents older than 0.1). */
  qos: QosStatus.nullable().optional(),
});
export type NodeStatus = z.infer<typeof NodeStatus>;
