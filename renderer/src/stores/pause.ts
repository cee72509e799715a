import { create } from 'zustand';
import type { PauseState } from '../../../contract/index.ts';
import type { ApiClient } from '../api/client.ts';

export interface PauseSlice {
  pause: PauseState | null;
  busy: boolean;
  /** Why the last pause or resume failed (shown to the owner). */
  error: string | null;
  /** Why the pause state cannot be read (an agent without the pause routes); the buttons are then off. */
  unavailable: string | null;
  load(client: ApiClient): Promise<void>;
  /** `until` null = until resumed. */
  pauseUntil(client: ApiClient, until: Date | null): Promise<void>;
  resume(client: ApiClient): Promise<void>;
  reset(): void;
}

const initial = { pause: null, busy: false, error: null, unavailable: null };

/** Pausing donation: the tray's menu, also in the page (the browser fallback has no tray). */
export const usePause = create<PauseSlice>((set) => {
  // A poll that was in flight when the owner paused or resumed answers with the old state: drop it.
  let actions = 0;
  const run = async (work: () => Promise<PauseState>) => {
    actions++;
    set({ busy: true });
    try {
      set({ pause: await work(), busy: false, error: null });
    } catch (err) {
      set({ busy: false, error: (err as Error).message });
    }
  };
  return {
    ...initial,
    async load(client) {
      const seen = actions;
      try {
        const pause = await client.call('getPause');
        if (seen === actions) set({ pause, unavailable: null });
      } catch (err) {
        if (seen === actions) set({ unavailable: (err as Error).message });
      }
    },
    pauseUntil: (client, until) => run(() => client.call('pause', { until: until ? until.toISOString() : null })),
    resume: (client) => run(() => client.call('resume')),
    reset: () => set(initial),
  };
});

/** "Until tomorrow" = tomorrow 06:00 local time, as in the tray menu. */
export function tomorrowMorning(now: Date): Date {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(6, 0, 0, 0);
  return d;
}
