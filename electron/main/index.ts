// The desktop app's main process: thin by design. It hosts the agent, shows windows and the tray,
// forwards the renderer's calls, and passes OS events on. Each feature is one setupX() below.
import { app, BrowserWindow, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, protocol, screen, session, shell, Tray, utilityProcess } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDataDir, dataFiles } from '../../agent/src/config/paths.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createAgentHost, realTimers, type HostState } from './agent-host.ts';
import { utilityProcessSpawner } from './agent-spawners.ts';
import { createAgentLink } from './agent-link.ts';
import { setupIpc } from './ipc.ts';
import { APP_SCHEME_PRIVILEGES, setupProtocol } from './protocol.ts';
import { setupSecurity, setupWindows, createAppWindow, type WindowDeps } from './windows.ts';
import { setupTray } from './tray.ts';
import { trayView, tomorrowMorning } from './tray-state.ts';
import { hostedJobs, notificationsFor, type Snapshot } from './notifications.ts';
import { createStatusWatch } from './status-watch.ts';
import { setupPresence } from './presence.ts';
import { HIDDEN_FLAG, setStartAtLogin } from './login-item.ts';
import { applyPresetOnFirstRun, findPreset, loadPreset } from './preset.ts';
import { setupUpdater, type UpdaterLike } from './updater.ts';
import type { Preset } from '../../contract/index.ts';

// dist/electron/main.js sits beside preload.cjs and agent-entry.mjs; the UI is in dist/renderer.
const here = fileURLToPath(new URL('.', import.meta.url));
const paths = {
  preload: join(here, 'preload.cjs'),
  agentEntry: join(here, 'agent-entry.mjs'),
  renderer: join(here, '..', 'renderer'),
};

protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the agent and the tray; it shows its window on 'second-instance'.
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  const dataDir = resolveDataDir(undefined, process.env);
  const log = createLogger({ file: join(dataFiles(dataDir).logs, 'app.log') }).child({ component: 'electron-main' });
  let preset: Preset | null = null;
  const presetPath = findPreset(process.resourcesPath, process.env);
  if (presetPath) {
    try {
      preset = loadPreset(presetPath);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'lab preset refused; running without it');
      app.whenReady().then(() => new Notification({ title: 'Phantom Grid: preset refused', body: (err as Error).message }).show(), () => {});
    }
  }

  await app.whenReady();
  // Tests and the screenshots ask for a theme; owners get the system's.
  if (process.env.PHANTOM_COLOR_SCHEME === 'dark' || process.env.PHANTOM_COLOR_SCHEME === 'light') nativeTheme.themeSource = process.env.PHANTOM_COLOR_SCHEME;

  setupProtocol(protocol, paths.renderer);
  setupSecurity({ app, session: session.defaultSession, openExternal: (url) => void shell.openExternal(url) });

  // setupAgentHost: the agent in a utilityProcess, restarted with backoff.
  let hostState: HostState = { kind: 'stopped' };
  const host = createAgentHost({
    spawn: utilityProcessSpawner(utilityProcess, paths.agentEntry, { ...process.env, PHANTOM_DATA_DIR: dataDir }),
    dataDir,
    log: log.child({ component: 'agent-host' }),
    onState: (s) => (hostState = s),
  });
  host.start();
  const link = createAgentLink(dataDir);

  // setupIpc: the renderer's one channel, sender-checked.
  const trustedContents = new Set<number>();
  setupIpc(ipcMain, { trustedContents, forward: (route, body) => link.forward(route, body), log });

  // setupWindows
  const windowDeps: WindowDeps = {
    BrowserWindow,
    preload: paths.preload,
    trustedContents,
    backgroundColor: () => (nativeTheme.shouldUseDarkColors ? '#15171c' : '#f7f7f9'),
  };
  const windows = setupWindows(windowDeps);
  app.on('second-instance', () => windows.open());
  if (!process.argv.includes(HIDDEN_FLAG)) windows.open();

  // setupPresence: battery, lock, suspend and idle time go to the agent.
  const presence = setupPresence({ powerMonitor, report: (r) => link.call('reportPresence', r), timers: realTimers, log });
  presence.start();

  // setupTray and notifications, both fed by one status watch.
  let quitting = false;
  const watch = createStatusWatch({
    link,
    host: () => hostState,
    timers: realTimers,
    onSnapshot: (snap) => {
      tray.update(trayView(snap.host, snap.status, snap.pause, hostedJobs(snap.jobs, snap.status?.peerId).length));
      // A (re)started agent answers for the first time: tell it what the session knows.
      if (snap.status && !last.status) presence.resync();
      for (const note of notificationsFor(last, snap, Date.now())) if (Notification.isSupported()) new Notification(note).show();
      last = snap;
    },
  });
  let last: Snapshot = { host: hostState, status: null };
  const tray = setupTray(
    { Tray, Menu, nativeImage, createPopover: () => createAppWindow(windowDeps, 'popover') },
    {
      open: () => windows.open(),
      pauseFor: (ms) => void link.call('pause', { until: new Date(Date.now() + ms).toISOString() }).finally(() => watch.poke()),
      pauseUntilTomorrow: () => void link.call('pause', { until: tomorrowMorning(new Date()).toISOString() }).finally(() => watch.poke()),
      resume: () => void link.call('resume').finally(() => watch.poke()),
      quit: () => {
        quitting = true;
        app.quit();
      },
    },
    () => screen.getPrimaryDisplay().workArea,
  );
  watch.start();


  // setupPreset, setupLoginItem, setupUpdater
  if (preset) {
    const p = preset;
    const apply = async () => {
      for (let i = 0; i < 30 && hostState.kind !== 'running'; i++) await new Promise((r) => setTimeout(r, 1000));
      await applyPresetOnFirstRun(p, dataDir, {
        link,
        setStartAtLogin: (on) => setStartAtLogin(app, process.platform, process.execPath, on),
        now: Date.now,
      });
    };
    apply().catch((err: unknown) => log.error({ err: (err as Error).message }, 'applying the lab preset failed; will retry on next start'));
  }
  const stopUpdater = setupUpdater(preset?.updates ?? null, async () => (await import('electron-updater')).autoUpdater as unknown as UpdaterLike, realTimers, log);

  // The app lives in the tray: closing the window keeps donating until Quit.
  app.on('window-all-closed', () => {
    if (quitting) app.quit();
  });
  app.on('before-quit', (event) => {
    if (hostState.kind === 'stopped') return;
    event.preventDefault();
    quitting = true;
    watch.stop();
    presence.stop();
    stopUpdater();
    tray.destroy();
    void host.stop().finally(() => {
      hostState = { kind: 'stopped' };
      app.quit();
    });
  });
}
