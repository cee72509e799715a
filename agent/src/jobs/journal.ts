import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { writeFileAtomic } from '../config/atomic-write.ts';
import { apply, type JobEvent, type JobRecord, type JobTable } from './table.ts';

/**
 * The job table on disk: an append-only journal of events (one JSON line each, fsynced before the
 * caller answers anyone) plus an occasional snapshot. A kill -9 can tear at most the last line,
 * which was never acknowledged; replay drops it. Compaction writes the snapshot atomically first,
 * then empties the journal, and replay skips lines the snapshot already holds, so a crash between
 * the two loses nothing.
 */

const Line = z.object({ v: z.literal(1), n: z.number().int().positive(), e: z.object({ t: z.string() }).loose() });
const Snapshot = z.object({ v: z.literal(1), n: z.number().int().nonnegative(), jobs: z.array(z.object({ id: z.string(), seq: z.number() }).loose()) });

export interface Journal {
  readonly table: JobTable;
  /** Appends and fsyncs, then applies: an event is in the table only once it is on disk. */
  append(...events: JobEvent[]): void;
  close(): void;
  readonly stats: { readonly replayed: number; readonly tornBytes: number };
}

export interface JournalOptions {
  readonly dir: string;
  readonly log: Logger;
  /** Compact once the journal grows past this many bytes. */
  readonly compactBytes?: number;
}

export function openJournal(opts: JournalOptions): Journal {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const journalPath = join(opts.dir, 'journal.jsonl');
  const snapshotPath = join(opts.dir, 'snapshot.json');
  const compactBytes = opts.compactBytes ?? 8 * 1024 * 1024;
  const table: JobTable = new Map();
  let n = 0;

  if (existsSync(snapshotPath)) {
    // A snapshot is only ever replaced by rename, so a bad one is damage, not a torn write: refuse
    // to start rather than silently forget every job it held.
    const snap = Snapshot.parse(JSON.parse(readFileSync(snapshotPath, 'utf8')));
    for (const j of snap.jobs as unknown as JobRecord[]) table.set(j.id, j);
    n = snap.n;
  }

  let replayed = 0;
  let tornBytes = 0;
  let goodBytes = 0;
  if (existsSync(journalPath)) {
    const buf = readFileSync(journalPath);
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      const parsed = Line.safeParse(safeJson(buf.subarray(start, nl).toString('utf8')));
      if (!parsed.success) break;
      if (parsed.data.n > n) {
        apply(table, parsed.data.e as unknown as JobEvent);
        n = parsed.data.n;
        replayed++;
      }
      start = nl + 1;
      goodBytes = start;
    }
    tornBytes = buf.length - goodBytes;
    if (tornBytes > 0) opts.log.warn({ tornBytes }, 'job journal ended in a torn write (a crash mid-append); dropping it');
  }

  const fd = openSync(journalPath, 'a+', 0o600);
  if (tornBytes > 0) {
    ftruncateSync(fd, goodBytes);
    fsyncSync(fd);
  }
  let size = fstatSync(fd).size;

  const compact = () => {
    writeFileAtomic(snapshotPath, JSON.stringify({ v: 1, n, jobs: [...table.values()] }));
    ftruncateSync(fd, 0);
    fsyncSync(fd);
    size = 0;
    opts.log.info({ jobs: table.size, n }, 'job journal compacted into a snapshot');
  };

  return {
    table,
    stats: { replayed, tornBytes },
    append(...events) {
      if (events.length === 0) return;
      const lines = events.map((e) => JSON.stringify({ v: 1, n: ++n, e })).join('\n') + '\n';
      const data = Buffer.from(lines);
      writeSync(fd, data);
      fsyncSync(fd);
      size += data.length;
      for (const e of events) apply(table, e);
      if (size > compactBytes) compact();
    },
    close() {
      closeSync(fd);
    },
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
