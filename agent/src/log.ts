import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  /** JSON lines are appended here. */
  readonly file?: string;
  readonly level?: pino.Level;
  /** Also write JSON lines to stderr (daemons under systemd, `--verbose`). */
  readonly stderr?: boolean;
}

/** The agent's root logger; components take `log.child({ component })`. */
export function createLogger(opts: LogOptions = {}): Logger {
  const streams: pino.StreamEntry[] = [];
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    streams.push({ stream: pino.destination({ dest: opts.file, sync: false, mkdir: true }) });
  }
  if (opts.stderr || !opts.file) streams.push({ stream: pino.destination(2) });
  return pino({ level: opts.level ?? 'info', base: { pid: process.pid } }, pino.multistream(streams));
}

/** For tests and library use where nothing should be printed. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
