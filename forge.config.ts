// Electron Forge, for development packaging (`electron-forge package` / `start`); installers come
// from electron-builder.yml. Both apply the fuses defined once in build/fuses.json.
// We flip fuses in a postPackage hook with @electron/fuses rather than @electron-forge/plugin-fuses,
// whose pinned @electron/fuses clashes with electron-builder's.
import { join } from 'node:path';
import { flipFuses } from '@electron/fuses';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { flipFusesConfig } from './build/fuses.ts';

const executableName = 'phantom-grid';
const productName = 'Phantom Grid';

/** The packaged binary whose fuse wire we flip, per platform. */
export function packagedExecutable(outputPath: string, platform: string): string {
  if (platform === 'darwin' || platform === 'mas') return join(outputPath, `${productName}.app`);
  if (platform === 'win32') return join(outputPath, `${executableName}.exe`);
  return join(outputPath, executableName);
}

const config: ForgeConfig = {
  packagerConfig: {
    name: productName,
    executableName,
    appBundleId: 'org.phantomgrid.desktop',
    icon: 'build/icons/icon',
    asar: { unpack: '**/*.node' },
    // Only what the app runs: the bundles, the UI, the CLI launcher and the native addon.
    ignore: (path: string) =>
      path !== '' &&
      !/^\/(package\.json|bin(\/.*)?|dist(\/(electron|agent|renderer)(\/.*)?)?|native(\/build(\/Release(\/[^/]+\.node)?)?)?|node_modules(\/.*)?)$/.test(path),
  },
  rebuildConfig: {},
  makers: [],
  hooks: {
    async postPackage(_config, { outputPaths, platform, arch }) {
      for (const out of outputPaths) {
        await flipFuses(packagedExecutable(out, platform), flipFusesConfig({ resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64' }));
      }
    },
  },
};

export default config;
