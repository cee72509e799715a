import { create } from 'zustand';
import type { DonationLimits, DonationLimitsPatch } from '../../../contract/index.ts';
import { ClientError, type ApiClient } from '../api/client.ts';

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error';

export interface LimitsSlice {
  /** What the agent has in force. */
  saved: DonationLimits | null;
  /** What the owner sees and edits; equal to `saved` once applied. */
  draft: DonationLimits | null;
  save: SaveState;
  /** The agent's (or the connection's) refusal; `field` names the bad input. */
  error: { message: string; field: string | undefined } | null;
  load(client: ApiClient): Promise<void>;
  /** Changes the draft; the screen applies it shortly after the owner stops moving. */
  edit(patch: DonationLimitsPatch): void;
  /** Sends only the fields that differ from what is in force. A refusal keeps the draft and changes nothing. */
  apply(client: ApiClient): Promise<void>;
  /** Drops the draft's unsaved changes. */
  revert(): void;
  reset(): void;
}

const initial = { saved: null, draft: null, save: 'idle' as SaveState, error: null };

/** The fields of `next` that differ from `base`. */
export function changedFields(base: DonationLimits, next: DonationLimits): DonationLimitsPatch {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof DonationLimits)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(base[key])) patch[key] = next[key];
  }
  return patch as DonationLimitsPatch;
}

export const useLimits = create<LimitsSlice>((set, get) => ({
  ...initial,
  async load(client) {
    try {
      const limits = await client.call('getLimits');
      set({ saved: limits, draft: get().save === 'pending' ? get().draft : limits, error: null });
    } catch (err) {
      set({ error: { message: (err as Error).message, field: undefined } });
    }
  },
  edit(patch) {
    const draft = get().draft;
    if (!draft) return;
    set({ draft: { ...draft, ...patch }, save: 'pending' });
  },
  async apply(client) {
    const { saved, draft } = get();
    if (!saved || !draft) return;
    const patch = changedFields(saved, draft);
    if (Object.keys(patch).length === 0) {
      set({ save: 'idle', error: null });
      return;
    }
    set({ save: 'saving' });
    try {
      const limits = await client.call('setLimits', patch);
      // Edits made while the request was in flight stay in the draft and go out next.
      const now = get().draft ?? limits;
      const newer = changedFields(draft, now);
      set({ saved: limits, draft: { ...limits, ...newer }, save: Object.keys(newer).length ? 'pending' : 'saved', error: null });
    } catch (err) {
      const field = err instanceof ClientError ? err.field : undefined;
      set({ save: 'error', error: { message: (err as Error).message, field } });
    }
  },
  revert() {
    set({ draft: get().saved, save: 'idle', error: null });
  },
  reset: () => set(initial),
}));
