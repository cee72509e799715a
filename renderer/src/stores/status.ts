import { create } from 'zustand';
import type { NodeStatus } from '../../../contract/index.ts';
import type { ApiClient } from '../api/client.ts';

export interface StatusSlice {
  status: NodeStatus | null;
  error: string | null;
  loading: boolean;
  refresh(client: ApiClient): Promise<void>;
  reset(): void;
}

const initial = { status: null, error: null, loading: false } satisfies Partial<StatusSlice>;

/** The node's status as last read from the agent; `error` says why the last read failed. */
export const useStatus = create<StatusSlice>((set) => ({
  ...initial,
  async refresh(client) {
    set({ loading: true });
    try {
      set({ status: await client.call('status'), error: null, loading: false });
    } catch (err) {
      set({ error: (err as Error).message, loading: false });
    }
  },
  reset: () => set(initial),
}));
