import { create } from 'zustand';
import { isTerminalJobState, type JobSummary } from '../../../contract/index.ts';
import { ClientError, type ApiClient } from '../api/client.ts';

export interface JobsSlice {
  jobs: readonly JobSummary[];
  /** false when this agent has no job routes (yet). */
  available: boolean | null;
  error: string | null;
  /** Job ids being cancelled. */
  cancelling: readonly string[];
  load(client: ApiClient): Promise<void>;
  cancel(client: ApiClient, id: string): Promise<void>;
  reset(): void;
}

const initial = { jobs: [] as readonly JobSummary[], available: null, error: null, cancelling: [] as readonly string[] };

/** Jobs this node knows: submitted here, or hosted here for others. Newest first. */
export const useJobs = create<JobsSlice>((set, get) => ({
  ...initial,
  async load(client) {
    try {
      const { jobs } = await client.call('listJobs');
      set({ jobs: [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), available: true, error: null });
    } catch (err) {
      if (err instanceof ClientError && (err.status === 404 || err.status === 501)) set({ available: false, error: null });
      else set({ error: (err as Error).message });
    }
  },
  async cancel(client, id) {
    set({ cancelling: [...get().cancelling, id] });
    try {
      await client.call('cancelJob', { id });
      await get().load(client);
    } catch (err) {
      set({ error: `could not cancel ${id}: ${(err as Error).message}` });
    } finally {
      set({ cancelling: get().cancelling.filter((x) => x !== id) });
    }
  },
  reset: () => set(initial),
}));

/** Jobs running on this node right now (the tray's "hosting"). */
export const hostedHere = (jobs: readonly JobSummary[], peerId: string | undefined): JobSummary[] =>
  jobs.filter((j) => j.node !== null && j.node === peerId && !isTerminalJobState(j.state) && j.state !== 'QUEUED');
