/**
 * One end-to-end scenario, two ways to bring the app up: the browser fallback (Debian's Chromium
 * against a real agent serving the UI) and Electron (the app hosting its own agent). Scenarios get
 * a Page and the data dir, and never care which launcher made them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, _electron, type Browser, type ElectronApplication, type Page } from 'playwright-core';
import { removeDir, repoRoot, startAgent, tempDataDir, type AgentProcess } from './agent-process.ts';

export interface AppSession {
  readonly page: Page;
  readonly dataDir: string;
  close(): Promise<void>;
}

export interface Launcher {
  readonly name: string;
  /** Why this launcher cannot run on this machine, or null when it can. */
  skipReason(): string | null;
  open(opts?: { colorScheme?: 'light' | 'dark' }): Promise<AppSession>;
}

export const CHROMIUM_PATH = process.env.PHANTOM_CHROMIUM ?? '/usr/bin/chromium';
// As root in a closed network: no sandbox, and no background connections that would be refused.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const uiDir = join(repoRoot, 'dist/renderer');

export const browserLauncher: Launcher = {
  name: 'browser',
  skipReason: () => {
    if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH} (run scripts/install-system-deps.sh)`;
    if (!existsSync(join(uiDir, 'index.html'))) return 'the UI is not built (npm run build:ui)';
    return null;
  },
  async open(opts = {}) {
    const agent: AgentProcess = await startAgent({ args: ['--ui', uiDir, '--print-login-url'] });
    // The URL line follows the "running" line startAgent waits for: on a loaded machine it can lag.
    const deadline = Date.now() + 15_000;
    while (!/open the UI: \S+\n/.test(agent.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /open the UI: (\S+)/.exec(agent.stdout())?.[1];
    if (!url) throw new Error(`agent printed no login URL: ${agent.stdout()}`);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ colorScheme: opts.colorScheme ?? 'light', viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(url);
    return {
      page,
      dataDir: agent.dataDir,
      async close() {
        await browser.close();
        await agent.stop();
        removeDir(agent.dataDir);
      },
    };
  },
};

function electronBinary(): string | null {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidates = [override && join(override, 'electron'), join(repoRoot, 'node_modules/electron/dist/electron')].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p)) ?? null;
}

export const electronLauncher: Launcher = {
  name: 'electron',
  skipReason: () => {
    if (!electronBinary()) return 'no Electron binary on this machine (it cannot be downloaded here; set ELECTRON_OVERRIDE_DIST_PATH to a local Electron)';
    if (!existsSync(join(repoRoot, 'dist/electron/main.js'))) return 'Electron main is not built (npm run build:electron)';
    return null;
  },
  async open(opts = {}) {
    const dataDir = tempDataDir();
    const app: ElectronApplication = await _electron.launch({
      executablePath: electronBinary()!,
      args: [join(repoRoot, 'dist/electron/main.js')],
      env: { ...process.env, PHANTOM_DATA_DIR: dataDir, PHANTOM_COLOR_SCHEME: opts.colorScheme ?? 'light' },
      colorScheme: opts.colorScheme ?? 'light',
    });
    const page = await app.firstWindow();
    return {
      page,
      dataDir,
      async close() {
        await app.close();
        removeDir(dataDir);
      },
    };
  },
};

export const launchers: readonly Launcher[] = [browserLauncher, electronLauncher];
