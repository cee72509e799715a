import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawBinding } from './raw.ts';

const ADDON = join('native', 'build', 'Release', 'phantom_native.node');

/**
 * Where the addon is: $PHANTOM_NATIVE_ADDON if set, else the nearest <ancestor>/native/build/Release
 * that holds it, searched upwards from this module - so the same code finds it from the sources
 * (native/lib) and from the agent bundle (dist/agent), where import.meta.url differs. When none
 * holds it yet, the place `npm run build:native` will put it.
 */
export function locateAddon(from: string = dirname(fileURLToPath(import.meta.url))): string {
  const override = process.env.PHANTOM_NATIVE_ADDON;
  if (override) return override;
  let expected: string | undefined;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    if (expected === undefined && existsSync(join(dir, 'native'))) expected = candidate;
    if (dirname(dir) === dir) break;
  }
  return expected ?? join(from, ADDON);
}

/** Loads the compiled addon; throws (module not found, bad ELF, wrong ABI) when it cannot. */
export function loadAddon(path: string): RawBinding {
  return createRequire(import.meta.url)(path) as RawBinding;
}
