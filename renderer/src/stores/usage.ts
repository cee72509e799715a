import { create } from 'zustand';
import type { UsageSample } from '../../../contract/index.ts';
import { ClientError, type ApiClient } from '../api/client.ts';

export interface UsageSlice {
  samples: readonly UsageSample[];
  /** null until asked; false when this agent does not report usage (yet). */
  available: boolean | null;
  /** Why not, when the agent answered with an error rather than samples. */
  error: string | null;
  load(client: ApiClient): Promise<void>;
  reset(): void;
}

const initial = { samples: [] as readonly UsageSample[], available: null, error: null };

/** Owner vs grid CPU and memory, for the dashboard's charts. */
export const useUsage = create<UsageSlice>((set) => ({
  ...initial,
  async load(client) {
    try {
      const { samples } = await client.call('getUsage');
      set({ samples, available: true, error: null });
    } catch (err) {
      // 404/501: an agent without usage sampling; 0: no agent at all (the status screen says so).
      if (err instanceof ClientError && (err.status === 404 || err.status === 501)) set({ available: false, error: null });
      else set({ available: false, error: (err as Error).message });
    }
  },
  reset: () => set(initial),
}));

/** Machine-wide percent busy (owner, grid) of one sample: the mean over cores. */
export function machineCpu(sample: UsageSample): { owner: number; grid: number } {
  const n = sample.cores.length || 1;
  let owner = 0;
  let grid = 0;
  for (const c of sample.cores) {
    owner += c.owner;
    grid += c.grid;
  }
  return { owner: owner / n, grid: grid / n };
}
