import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RawBinding } from './raw.ts';

/** Where `npm run build:native` (scripts/build-native.ts) puts the addon. */
export const defaultAddonPath = fileURLToPath(new URL('../build/Release/phantom_native.node', import.meta.url));

/** Loads the compiled addon; throws (module not found, bad ELF, wrong ABI) when it cannot. */
export function loadAddon(path: string = defaultAddonPath): RawBinding {
  return createRequire(import.meta.url)(path) as RawBinding;
}
