import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Flag the autostart entry passes so the app starts in the tray without opening its window. */
export const HIDDEN_FLAG = '--hidden';

/** The XDG autostart entry Linux desktops read (Electron's setLoginItemSettings covers macOS and Windows only). */
export function autostartDesktopEntry(execPath: string): string {
  const quoted = /[\s"'\\]/.test(execPath) ? `"${execPath.replace(/(["\\`$])/g, '\\$1')}"` : execPath;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Phantom Grid',
    'Comment=Donate spare CPU to your grid while you are away',
    `Exec=${quoted} ${HIDDEN_FLAG}`,
    'Icon=phantom-grid',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export const autostartPath = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config'), 'autostart', 'phantom-grid.desktop');

export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

export function setStartAtLogin(app: LoginItemApp, platform: NodeJS.Platform, execPath: string, on: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (platform !== 'linux') {
    app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_FLAG] });
    return;
  }
  const path = autostartPath(env);
  if (!on) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, autostartDesktopEntry(execPath));
}
