/**
 * The app's pages load from a privileged custom scheme, not file:// (whose pages get extra powers
 * and share one opaque origin with every local file). Navigation and IPC checks compare against it.
 */
export const APP_SCHEME = 'phantom';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export type AppView = 'main' | 'popover';

export function appUrl(view: AppView = 'main'): string {
  return `${APP_ORIGIN}/index.html${view === 'popover' ? '#/popover' : ''}`;
}

/** True for URLs of the app's own pages (any path on the app origin, nothing else). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
