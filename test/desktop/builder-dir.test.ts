// `electron-builder --linux dir` packs the real app where an Electron distribution is present
// (here it cannot be downloaded, so this skips with that reason). Installers proper (AppImage,
// deb, rpm, NSIS, dmg) need downloads too and are built on release machines.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/agent-process.ts';

const electronDist = [process.env.ELECTRON_OVERRIDE_DIST_PATH, join(repoRoot, 'node_modules/electron/dist')].find((d) => d && existsSync(join(d, 'electron')));
const built = ['dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/agent/phantom.mjs', 'dist/renderer/index.html'].every((f) => existsSync(join(repoRoot, f)));
const skip = !electronDist
  ? 'no Electron distribution on this machine (it cannot be downloaded here; set ELECTRON_OVERRIDE_DIST_PATH)'
  : !built
    ? 'the app is not built (npm run build)'
    : null;

describe.skipIf(skip !== null)(`electron-builder --linux dir${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('packs the app with its bundles, UI and fuses', () => {
    const out = mkdtempSync(join(tmpdir(), 'phantom-builder-'));
    try {
      const res = spawnSync(process.execPath, [join(repoRoot, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.directories.output=${out}`], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
      const app = join(out, 'linux-unpacked');
      expect(existsSync(join(app, 'phantom-grid'))).toBe(true);
      expect(existsSync(join(app, 'resources/app.asar'))).toBe(true);
      expect(existsSync(join(app, 'resources/app.asar.unpacked/dist/agent/phantom.mjs'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
