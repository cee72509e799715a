import { useSyncExternalStore } from 'react';

export const SCREENS = ['status', 'donate', 'dashboard', 'jobs', 'settings', 'popover'] as const;
export type Screen = (typeof SCREENS)[number];

/** The screen named by the URL hash (#/donate); hash routes work from phantom://app/ and over HTTP alike. */
export function screenOf(hash: string): Screen {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'status';
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};

export function useScreen(): Screen {
  return useSyncExternalStore(subscribe, () => screenOf(window.location.hash));
}
