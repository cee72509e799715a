import type { Preset } from '../../contract/index.ts';
import type { HostTimers } from './agent-host.ts';

/** The parts of electron-updater's autoUpdater this uses. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdatesAndNotify(): Promise<unknown>;
}

/**
 * Automatic updates stay off unless a lab preset names its own feed (an electron-builder "generic"
 * provider: a folder of installers and latest*.yml on a lab web server). Returns a stop function.
 */
export function setupUpdater(
  updates: Preset['updates'],
  loadUpdater: () => Promise<UpdaterLike>,
  timers: Pick<HostTimers, 'setTimeout' | 'clearTimeout'>,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
): () => void {
  if (!updates) {
    log.info({}, 'automatic updates off (no preset feed)');
    return () => {};
  }
  let timer: unknown = null;
  let stopped = false;
  const every = updates.checkEveryHours * 3_600_000;
  void loadUpdater().then((updater) => {
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = true;
    updater.setFeedURL({ provider: 'generic', url: updates.url });
    const check = () => {
      if (stopped) return;
      updater.checkForUpdatesAndNotify().catch((err: unknown) => log.warn({ err: (err as Error).message, url: updates.url }, 'update check failed'));
      timer = timers.setTimeout(check, every);
    };
    log.info({ url: updates.url, everyHours: updates.checkEveryHours }, 'automatic updates from the lab feed');
    check();
  });
  return () => {
    stopped = true;
    if (timer !== null) timers.clearTimeout(timer);
  };
}
