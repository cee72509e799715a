import { readFileSync, existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { describeIssue, DonationLimits, type DonationLimitsPatch, type PauseState } from '../../../contract/index.ts';
import { FieldError } from '../field-error.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { NodeConfig, defaultConfig } from './schema.ts';

export class ConfigError extends FieldError {
  override readonly name = 'ConfigError';
}

export interface ConfigStore {
  get(): NodeConfig;
  /** Validates the merged result before anything is written: a bad patch changes nothing. */
  updateLimits(patch: DonationLimitsPatch): NodeConfig;
  setPause(pause: PauseState): NodeConfig;
  /** Why the file on disk was refused at load, if it was. */
  readonly loadError: string | null;
}

function parseFile(path: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`, '');
  }
  const parsed = NodeConfig.safeParse(raw);
  if (!parsed.success) {
    const { message, field } = describeIssue(parsed.error);
    throw new ConfigError(`${path}: ${message}`, field);
  }
  return parsed.data;
}

/**
 * A bad config file is refused with the field named and the last good config (kept beside it on
 * every save) stays in force; the bad file is left untouched for the owner to fix.
 */
export function createConfigStore(path: string, log: Logger): ConfigStore {
  const lastGood = `${path}.last-good`;
  let loadError: string | null = null;
  let config: NodeConfig;
  if (!existsSync(path)) {
    config = defaultConfig();
    writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
  } else {
    try {
      config = parseFile(path);
    } catch (err) {
      loadError = (err as Error).message;
      log.error({ err: loadError }, 'config file refused; using the last good config');
      config = existsSync(lastGood) ? parseFile(lastGood) : defaultConfig();
    }
  }
  if (!loadError) writeFileAtomic(lastGood, `${JSON.stringify(config, null, 2)}\n`);

  const save = (next: NodeConfig) => {
    const text = `${JSON.stringify(next, null, 2)}\n`;
    writeFileAtomic(path, text);
    writeFileAtomic(lastGood, text);
    config = next;
    loadError = null;
  };

  return {
    get: () => config,
    get loadError() {
      return loadError;
    },
    setPause(pause) {
      save({ ...config, pause });
      return config;
    },
    updateLimits(patch) {
      const merged = DonationLimits.safeParse({ ...config.limits, ...patch });
      if (!merged.success) {
        const { message, field } = describeIssue(merged.error);
        throw new ConfigError(message, field);
      }
      save({ ...config, limits: merged.data });
      return config;
    },
  };
}
