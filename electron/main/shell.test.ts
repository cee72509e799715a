// Main-process features that need no Electron binary: window hardening, the app scheme, tray,
// notifications, presence forwarding, start at login and the updater switch.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobSummary, NodeStatus } from '../../contract/index.ts';
import { DEFAULT_LIMITS, Preset, type PresenceReport } from '../../contract/index.ts';
import { appUrl, isAppUrl } from './app-origin.ts';
import { hardenContents, secureWebPreferences, setupSecurity } from './windows.ts';
import { resolveAppFile, serveAppRequest } from './protocol.ts';
import { trayView, tomorrowMorning } from './tray-state.ts';
import { trayMenuTemplate, HOUR_MS } from './tray-menu.ts';
import { STATE_COLOURS, trayIconBitmap } from './tray-icon.ts';
import { popoverPosition } from './tray.ts';
import { hostedJobs, notificationsFor } from './notifications.ts';
import { setupPresence, type PowerMonitorLike } from './presence.ts';
import { autostartDesktopEntry, setStartAtLogin, HIDDEN_FLAG } from './login-item.ts';
import { applyPresetOnFirstRun, loadPreset, PresetError } from './preset.ts';
import { setupUpdater, type UpdaterLike } from './updater.ts';

const tmp = mkdtempSync(join(tmpdir(), 'phantom-shell-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const status = (over: Partial<NodeStatus> = {}): NodeStatus => ({
  version: '0.1.0', peerId: '12D3KooW', listenAddrs: [], state: 'running', role: 'unjoined', startedAt: new Date(0).toISOString(),
  uptimeSeconds: 1, dataDir: '/d', resources: { cores: 2, cpuModel: 'x', memoryMiB: 1024, flops: 1, os: 'linux', arch: 'x64' },
  limits: DEFAULT_LIMITS, nativeAddonError: null, ...over,
});
const running = { kind: 'running', pid: 1, since: 0 } as const;

describe('windows', () => {
  it('every window is isolated, sandboxed and without Node', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, preload: '/p.cjs' });
  });

  it('blocks navigation away from the app, new windows and webviews; https links go to the browser', () => {
    const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void };
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    contents.setWindowOpenHandler = (h) => void (openHandler = h);
    const opened: string[] = [];
    hardenContents(contents as never, (u) => opened.push(u));
    const nav = (event: string, url: string, asProp = false) => {
      let prevented = false;
      const e = { preventDefault: () => void (prevented = true), url };
      if (asProp) contents.emit(event, e);
      else contents.emit(event, e, url);
      return prevented;
    };
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(nav('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(nav('will-frame-navigate', 'https://evil.example/', true)).toBe(true);
    expect(nav('will-navigate', appUrl('main'))).toBe(false);
    expect(nav('will-attach-webview', 'x')).toBe(true);
    expect(openHandler!({ url: 'https://docs.example/guide' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://docs.example/guide']);
  });

  it('hardens every webContents the app creates and grants no permission', () => {
    const app = new EventEmitter();
    let request: ((wc: unknown, p: string, grant: (ok: boolean) => void) => void) | null = null;
    let check: (() => boolean) | null = null;
    setupSecurity({
      app: app as never,
      session: { setPermissionRequestHandler: (h) => void (request = h), setPermissionCheckHandler: (h) => void (check = h) },
      openExternal: () => {},
    });
    const grants: boolean[] = [];
    request!({}, 'media', (ok) => grants.push(ok));
    request!({}, 'notifications', (ok) => grants.push(ok));
    expect(grants).toEqual([false, false]);
    expect(check!()).toBe(false);
    const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler(h: unknown): void };
    let handler: unknown = null;
    contents.setWindowOpenHandler = (h) => void (handler = h);
    app.emit('web-contents-created', {}, contents);
    expect(handler).not.toBeNull();
    expect(contents.listenerCount('will-navigate')).toBe(1);
  });

  it('knows its own pages', () => {
    expect(isAppUrl(appUrl('popover'))).toBe(true);
    expect(isAppUrl('phantom://other/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('app scheme', () => {
  const ui = join(tmp, 'renderer');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(ui, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(tmp, 'secret.txt'), 'secret');

  it('maps app URLs into the renderer folder and nothing outside it', () => {
    expect(resolveAppFile(ui, 'phantom://app/index.html')).toBe(join(ui, 'index.html'));
    expect(resolveAppFile(ui, 'phantom://app/')).toBe(join(ui, 'index.html'));
    expect(resolveAppFile(ui, 'phantom://app/assets/a.js')).toBe(join(ui, 'assets/a.js'));
    // Dot segments, encoded or not, are clamped at the folder's root: never the file beside it.
    for (const sneaky of ['phantom://app/..%2Fsecret.txt', 'phantom://app/%2e%2e/secret.txt', 'phantom://app/assets/..%2F..%2F..%2Fsecret.txt']) {
      expect(resolveAppFile(ui, sneaky)).toBe(join(ui, 'secret.txt'));
    }
    expect(resolveAppFile(ui, 'phantom://app/a%00b')).toBeNull();
    expect(resolveAppFile(ui, 'phantom://elsewhere/index.html')).toBeNull();
    expect(resolveAppFile(ui, 'file:///etc/passwd')).toBeNull();
  });

  it('serves files with the CSP and refuses the rest', async () => {
    const ok = await serveAppRequest(ui, { url: 'phantom://app/index.html', method: 'GET' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(ok.headers.get('content-type')).toContain('text/html');
    expect(await ok.text()).toContain('<title>x</title>');
    expect((await serveAppRequest(ui, { url: 'phantom://app/..%2Fsecret.txt', method: 'GET' })).status).toBe(404);
    expect((await serveAppRequest(ui, { url: 'phantom://app/missing.js', method: 'GET' })).status).toBe(404);
    expect((await serveAppRequest(ui, { url: 'phantom://app/index.html', method: 'POST' })).status).toBe(405);
  });
});

describe('tray', () => {
  it('shows the state from host, status and pause', () => {
    expect(trayView({ kind: 'stopped' }, null, null).state).toBe('offline');
    expect(trayView(running, null, null).state).toBe('offline');
    expect(trayView({ kind: 'backoff', crashes: 1, lastExitCode: 1, retryAt: 0 }, status(), null).state).toBe('error');
    expect(trayView(running, status(), { paused: true, until: null }).state).toBe('paused');
    expect(trayView(running, status({ state: 'paused' }), null).state).toBe('paused');
    expect(trayView(running, status(), { paused: false, until: null }).state).toBe('idle');
    expect(trayView(running, status(), null, 2)).toMatchObject({ state: 'hosting', summary: 'Hosting 2 jobs' });
  });

  it('offers pause while running and resume while paused', () => {
    const calls: string[] = [];
    const actions = { open: () => calls.push('open'), sliders: () => calls.push('sliders'), pauseFor: (ms: number) => calls.push(`pause ${ms}`), pauseUntilTomorrow: () => calls.push('tomorrow'), resume: () => calls.push('resume'), quit: () => calls.push('quit') };
    const byId = (t: ReturnType<typeof trayMenuTemplate>, id: string) => t.find((i) => i.id === id)!;
    const idle = trayMenuTemplate(trayView(running, status(), null), actions);
    expect(byId(idle, 'pause-1h').visible).toBe(true);
    expect(byId(idle, 'resume').visible).toBe(false);
    (byId(idle, 'pause-1h').click as () => void)();
    (byId(idle, 'pause-tomorrow').click as () => void)();
    (byId(idle, 'quit').click as () => void)();
    expect(calls).toEqual([`pause ${HOUR_MS}`, 'tomorrow', 'quit']);
    const paused = trayMenuTemplate(trayView(running, status(), { paused: true, until: null }), actions);
    expect(byId(paused, 'resume').visible).toBe(true);
    expect(byId(paused, 'pause-1h').visible).toBe(false);
    const offline = trayMenuTemplate(trayView({ kind: 'stopped' }, null, null), actions);
    expect(byId(offline, 'pause-1h').enabled).toBe(false);
    expect(byId(offline, 'open').enabled).not.toBe(false);
  });

  it('"until tomorrow" is tomorrow 06:00 local time', () => {
    const t = tomorrowMorning(new Date(2026, 10, 25, 23, 50));
    expect([t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes()]).toEqual([2026, 10, 26, 6, 0]);
  });

  it('draws a distinct icon per state', () => {
    const size = 32;
    const px = (buf: Buffer, x: number, y: number) => [...buf.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
    for (const [state, [r, g, b]] of Object.entries(STATE_COLOURS)) {
      const icon = trayIconBitmap(state as keyof typeof STATE_COLOURS, size);
      expect(icon.length).toBe(size * size * 4);
      expect(px(icon, 16, 2)).toEqual([b, g, r, 255]); // top edge of the disc, BGRA
      expect(px(icon, 0, 0)[3]).toBe(0); // transparent corner
    }
    const images = Object.keys(STATE_COLOURS).map((s) => trayIconBitmap(s as keyof typeof STATE_COLOURS, size).toString('hex'));
    expect(new Set(images).size).toBe(images.length);
  });

  it('places the popover by the tray icon inside the work area', () => {
    const area = { x: 0, y: 0, width: 1920, height: 1080 };
    expect(popoverPosition({ x: 1880, y: 0, width: 24, height: 24 }, { width: 340, height: 420 }, area)).toEqual({ x: 1580, y: 28 });
    expect(popoverPosition({ x: 1880, y: 1056, width: 24, height: 24 }, { width: 340, height: 420 }, area)).toEqual({ x: 1580, y: 632 });
  });
});

describe('notifications', () => {
  it('notes joining, role changes and an agent crash', () => {
    const none = { host: running, status: status() };
    expect(notificationsFor(none, none, 0)).toEqual([]);
    expect(notificationsFor(none, { host: running, status: status({ role: 'member' }) }, 0)[0]?.title).toBe('Joined the grid');
    expect(notificationsFor({ host: running, status: status({ role: 'member' }) }, { host: running, status: status({ role: 'super-peer' }) }, 0)[0]?.body).toMatch(/super-peer/);
    const crash = notificationsFor(none, { host: { kind: 'backoff', crashes: 2, lastExitCode: 1, retryAt: 4000 }, status: null }, 0);
    expect(crash[0]?.body).toMatch(/restarting in about 4 s/);
  });
});

describe('job notifications', () => {
  const job = (id: string, state: JobSummary['state'], node = '12D3KooW'): JobSummary => ({
    id, name: `render ${id}`, state, source: 'cli', command: ['x'], createdAt: '', updatedAt: '', attempts: 1, exitCode: state === 'EXECUTOR_ERROR' ? 2 : null, progress: null, node, vo: null,
  });
  const snap = (jobs: JobSummary[]) => ({ host: running, status: status(), jobs });

  it('announces jobs starting and ending on this machine only', () => {
    const notes = notificationsFor(snap([job('a', 'QUEUED'), job('b', 'RUNNING'), job('c', 'RUNNING'), job('d', 'RUNNING', 'other')]), snap([job('a', 'RUNNING'), job('b', 'COMPLETE'), job('c', 'EXECUTOR_ERROR'), job('d', 'COMPLETE', 'other')]), 0);
    expect(notes).toEqual([
      { title: 'Job started here', body: 'render a' },
      { title: 'Job finished', body: 'render b' },
      { title: 'Job failed', body: 'render c (exit 2)' },
    ]);
  });

  it('stays quiet when nothing changed or there was no earlier view', () => {
    expect(notificationsFor(snap([job('a', 'RUNNING')]), snap([job('a', 'RUNNING')]), 0)).toEqual([]);
    expect(notificationsFor({ host: running, status: status(), jobs: null }, snap([job('a', 'RUNNING')]), 0)).toEqual([]);
  });

  it('counts the jobs hosted here for the tray', () => {
    expect(hostedJobs([job('a', 'RUNNING'), job('b', 'QUEUED'), job('c', 'RUNNING', 'other'), job('d', 'COMPLETE')], '12D3KooW').map((j) => j.id)).toEqual(['a']);
    expect(trayView(running, status(), null, hostedJobs([job('a', 'RUNNING')], '12D3KooW').length).state).toBe('hosting');
  });
});

describe('presence', () => {
  it('forwards battery, lock, suspend and idle changes to the agent', () => {
    const pm = new EventEmitter() as EventEmitter & PowerMonitorLike;
    let idle = 0;
    pm.isOnBatteryPower = () => true;
    pm.getSystemIdleTime = () => idle;
    const sent: PresenceReport[] = [];
    const fire: Array<() => void> = [];
    const p = setupPresence({
      powerMonitor: pm,
      report: async (r) => void sent.push(r),
      timers: { setTimeout: (fn) => fire.push(fn), clearTimeout: () => {} },
      idleStepSeconds: 30,
      log: { debug: () => {} },
    });
    p.start();
    expect(sent[0]).toEqual({ onBattery: true, idleSeconds: 0, screenLocked: false, suspended: false });
    pm.emit('on-ac');
    pm.emit('lock-screen');
    pm.emit('suspend');
    expect(sent.slice(1)).toEqual([{ onBattery: false }, { screenLocked: true }, { suspended: true }]);
    const tick = () => fire.shift()!();
    idle = 10; tick(); // under a step: nothing
    idle = 40; tick(); // a step: reported
    idle = 2; tick(); // the owner is back: reported at once
    expect(sent.slice(4)).toEqual([{ idleSeconds: 40 }, { idleSeconds: 2 }]);
    p.resync(); // a restarted agent hears the whole picture, lock included
    expect(sent.at(-1)).toEqual({ onBattery: true, idleSeconds: 2, screenLocked: true, suspended: false });
    p.stop();
  });
});

describe('start at login', () => {
  it('writes and removes an XDG autostart entry on Linux', () => {
    const env = { XDG_CONFIG_HOME: join(tmp, 'config') };
    const app = { setLoginItemSettings: () => { throw new Error('not on linux'); } };
    setStartAtLogin(app, 'linux', '/opt/Phantom Grid/phantom-grid', true, env);
    const entry = readFileSync(join(tmp, 'config/autostart/phantom-grid.desktop'), 'utf8');
    expect(entry).toContain(`Exec="/opt/Phantom Grid/phantom-grid" ${HIDDEN_FLAG}`);
    setStartAtLogin(app, 'linux', '/x', false, env);
    expect(existsSync(join(tmp, 'config/autostart/phantom-grid.desktop'))).toBe(false);
  });
  it('uses the OS login items elsewhere', () => {
    const calls: unknown[] = [];
    setStartAtLogin({ setLoginItemSettings: (s) => void calls.push(s) }, 'win32', 'C:\\x.exe', true);
    expect(calls).toEqual([{ openAtLogin: true, args: [HIDDEN_FLAG] }]);
    expect(autostartDesktopEntry('/usr/bin/phantom-grid')).toContain('Exec=/usr/bin/phantom-grid --hidden');
  });
});

describe('lab preset on first run', () => {
  it('refuses a bad preset file naming the field', () => {
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, name: 'x', limits: { cpuPercent: 101 } }));
    expect(() => loadPreset(file)).toThrow(PresetError);
    expect(() => loadPreset(file)).toThrow(/limits\.cpuPercent/);
  });

  it('applies limits and start at login once per data dir', async () => {
    const dataDir = join(tmp, 'data');
    const preset = Preset.parse({ version: 1, name: 'Lab', limits: { cpuPercent: 30 }, startAtLogin: true });
    const calls: unknown[] = [];
    const deps = { link: { call: async (name: string, body?: unknown) => void calls.push([name, body]) } as never, setStartAtLogin: (on: boolean) => void calls.push(['login', on]), now: () => 0 };
    expect(await applyPresetOnFirstRun(preset, dataDir, deps)).toBe(true);
    expect(calls).toEqual([['setLimits', { cpuPercent: 30 }], ['login', true]]);
    expect(await applyPresetOnFirstRun(preset, dataDir, deps)).toBe(false);
    expect(calls.length).toBe(2);
  });
});

describe('updater', () => {
  it('stays off without a preset feed and checks the lab feed when one is set', async () => {
    let loaded = 0;
    const updater: UpdaterLike & { feed?: unknown; checks: number } = {
      autoDownload: false, autoInstallOnAppQuit: false, checks: 0,
      setFeedURL(o) { this.feed = o; },
      async checkForUpdatesAndNotify() { this.checks++; },
    };
    const load = async () => { loaded++; return updater; };
    const log = { info: () => {}, warn: () => {} };
    const timers = { setTimeout: () => 1, clearTimeout: () => {} };
    setupUpdater(null, load, timers, log)();
    expect(loaded).toBe(0);
    const stop = setupUpdater({ url: 'https://lab.example/phantom/', checkEveryHours: 6 }, load, timers, log);
    await new Promise((r) => setTimeout(r, 0));
    expect(updater.feed).toEqual({ provider: 'generic', url: 'https://lab.example/phantom/' });
    expect(updater.checks).toBe(1);
    stop();
  });
});
