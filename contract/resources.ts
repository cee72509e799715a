import { z } from 'zod';

/** What a node offers, as the broker and discovery see it. Sizes in MiB, speed in FLOPS. */
export const ResourceDescription = z.object({
  cores: z.number().int().positive(),
  cpuModel: z.string(),
  memoryMiB: z.number().int().nonnegative(),
  flops: z.number().nonnegative(),
  os: z.string(),
  arch: z.string(),
});
export type ResourceDescription = z.infer<typeof ResourceDescription>;
