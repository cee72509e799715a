import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeIssue, Preset } from '../../contract/index.ts';
import { writeFileAtomic } from '../../agent/src/config/atomic-write.ts';
import type { AgentLink } from './agent-link.ts';
import { FieldError } from '../../agent/src/field-error.ts';

export class PresetError extends FieldError {
  override readonly name = 'PresetError';
}

/** Reads and validates a preset file; a bad one is refused with the field named. */
export function loadPreset(path: string): Preset {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PresetError(`${path}: not readable JSON (${(err as Error).message})`, '');
  }
  const parsed = Preset.safeParse(raw);
  if (!parsed.success) {
    const { message, field } = describeIssue(parsed.error);
    throw new PresetError(`${path}: ${message}`, field);
  }
  return parsed.data;
}

/** Where an installer puts its preset: beside the app's resources; PHANTOM_PRESET overrides. */
export function findPreset(resourcesPath: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = [env.PHANTOM_PRESET, join(resourcesPath, 'preset.json')].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export const appliedMarker = (dataDir: string) => join(dataDir, 'preset-applied.json');

export interface FirstRunDeps {
  readonly link: Pick<AgentLink, 'call'>;
  readonly setStartAtLogin: (on: boolean) => void;
  readonly now: () => number;
}

/**
 * Applies a preset once per data dir, after the agent is up: its limits through the control API
 * (the agent checks them against this machine), start at login. Returns false if it was applied before.
 */
export async function applyPresetOnFirstRun(preset: Preset, dataDir: string, deps: FirstRunDeps): Promise<boolean> {
  const marker = appliedMarker(dataDir);
  if (existsSync(marker)) return false;
  if (Object.keys(preset.limits).length > 0) await deps.link.call('setLimits', preset.limits);
  deps.setStartAtLogin(preset.startAtLogin);
  writeFileAtomic(marker, `${JSON.stringify({ name: preset.name, appliedAt: new Date(deps.now()).toISOString() })}\n`);
  return true;
}
