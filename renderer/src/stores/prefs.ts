import { create } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface PrefsSlice {
  theme: ThemeChoice;
  setTheme(theme: ThemeChoice): void;
  reset(): void;
}

/** Where preferences are kept: localStorage in the page; anything with the same two methods in tests. */
export interface PrefsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY = 'phantom.theme';
const isTheme = (v: unknown): v is ThemeChoice => v === 'system' || v === 'light' || v === 'dark';

/** UI preferences that are the owner's, not the node's: kept in the page, not in the agent. */
export function createPrefs(storage: PrefsStorage | null) {
  const stored = storage?.getItem(KEY);
  return create<PrefsSlice>((set) => ({
    theme: isTheme(stored) ? stored : 'system',
    setTheme(theme) {
      storage?.setItem(KEY, theme);
      set({ theme });
    },
    reset: () => set({ theme: 'system' }),
  }));
}

export const usePrefs = createPrefs(typeof localStorage !== 'undefined' ? localStorage : null);
