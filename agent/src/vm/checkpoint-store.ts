// Checkpoint files of one job: <dir>/ckpt-<seq>.zst (QEMU's migration stream, zstd-compressed) and a
// sidecar <dir>/ckpt-<seq>.json with what a restore checks first: job, sequence, VM configuration
// hash, size and SHA-256. A checkpoint becomes visible only when both are complete and synced.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../config/atomic-write.ts';

export const checkpointMetaSchema = z.object({
  schema: z.literal(1),
  jobId: z.string().min(1).max(128),
  seq: z.number().int().nonnegative(),
  configHash: z.string().regex(/^[0-9a-f]{64}$/),
  imageVersion: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.literal('zstd'),
  createdAtMs: z.number().int().nonnegative(),
  /** Output offsets the host held when the checkpoint completed (a restore asks the guest from here). */
  output: z.object({ stdout: z.number().int().nonnegative(), stderr: z.number().int().nonnegative() }),
});
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>;

export type CheckpointErrorCode = 'missing' | 'bad_metadata' | 'config_mismatch' | 'truncated' | 'checksum_mismatch' | 'write_failed';

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  readonly path: string;
  constructor(code: CheckpointErrorCode, path: string, message: string) {
    super(`checkpoint ${path}: ${message}`);
    this.name = 'CheckpointError';
    this.code = code;
    this.path = path;
  }
}

export interface CheckpointEntry {
  readonly seq: number;
  readonly dataPath: string;
  readonly metaPath: string;
}

export interface CheckpointStore {
  readonly dir: string;
  /** Where QEMU writes the next checkpoint's stream before it is sealed. */
  partialPath(seq: number): string;
  nextSeq(): number;
  /** Syncs, hashes and publishes a finished stream; then prunes to the last `keep`. */
  seal(seq: number, meta: Omit<CheckpointMeta, 'schema' | 'seq' | 'bytes' | 'sha256' | 'compression'>): Promise<CheckpointMeta>;
  /** Discards a stream that did not finish (the previous good checkpoint stays). */
  discard(seq: number): void;
  /** Sealed checkpoints, newest first. */
  list(): CheckpointEntry[];
  /** Checks metadata, configuration, size and checksum; throws CheckpointError. */
  verify(entry: CheckpointEntry, expectedConfigHash: string): Promise<CheckpointMeta>;
  /** The newest checkpoint that verifies; errors of newer ones go to `onSkip`. */
  latestGood(expectedConfigHash: string, onSkip?: (e: CheckpointError) => void): Promise<{ entry: CheckpointEntry; meta: CheckpointMeta } | null>;
}

const NAME = /^ckpt-(\d{8})\.json$/;

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  // One buffer, reused: a stream allocates a fresh chunk per read, and hashing the 66 MB guest
  // kernel that way left ~50 MB of freed chunks in malloc's arenas, resident all day (idle bench).
  const buf = Buffer.allocUnsafe(1 << 20);
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

export function createCheckpointStore(opts: { dir: string; keep?: number }): CheckpointStore {
  const dir = opts.dir;
  const keep = Math.max(1, opts.keep ?? 3);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dataPath = (seq: number) => join(dir, `ckpt-${String(seq).padStart(8, '0')}.zst`);
  const metaPath = (seq: number) => join(dir, `ckpt-${String(seq).padStart(8, '0')}.json`);

  const list = (): CheckpointEntry[] =>
    readdirSync(dir)
      .map((f) => NAME.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a)
      .map((seq) => ({ seq, dataPath: dataPath(seq), metaPath: metaPath(seq) }));

  const store: CheckpointStore = {
    dir,
    partialPath: (seq) => `${dataPath(seq)}.partial`,
    nextSeq() {
      const newest = list()[0];
      // Partial streams of an interrupted run also hold a sequence number: never reuse one.
      const partials = readdirSync(dir).map((f) => /^ckpt-(\d{8})\.zst\.partial$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
      return Math.max(newest ? newest.seq + 1 : 0, ...partials.map((p) => p + 1));
    },
    async seal(seq, meta) {
      const partial = store.partialPath(seq);
      if (!existsSync(partial) || !statSync(partial).isFile()) throw new CheckpointError('write_failed', partial, 'QEMU left no stream');
      fsyncPath(partial);
      const bytes = statSync(partial).size;
      if (bytes === 0) throw new CheckpointError('write_failed', partial, 'the stream is empty');
      const full: CheckpointMeta = { schema: 1, seq, bytes, sha256: await sha256File(partial), compression: 'zstd', ...meta };
      renameSync(partial, dataPath(seq));
      // The sidecar goes last: its presence is what makes a checkpoint visible.
      writeFileAtomic(metaPath(seq), `${JSON.stringify(full)}\n`);
      fsyncPath(dir);
      for (const old of list().slice(keep)) {
        rmSync(old.metaPath, { force: true });
        rmSync(old.dataPath, { force: true });
      }
      return full;
    },
    discard(seq) {
      rmSync(store.partialPath(seq), { force: true, recursive: true });
    },
    list,
    async verify(entry, expectedConfigHash) {
      if (!existsSync(entry.metaPath) || !existsSync(entry.dataPath)) throw new CheckpointError('missing', entry.dataPath, 'data or metadata file is missing');
      let meta: CheckpointMeta;
      try {
        meta = checkpointMetaSchema.parse(JSON.parse(readFileSync(entry.metaPath, 'utf8')));
      } catch (e) {
        const detail = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message;
        throw new CheckpointError('bad_metadata', entry.metaPath, `unreadable metadata (${detail})`);
      }
      if (meta.seq !== entry.seq) throw new CheckpointError('bad_metadata', entry.metaPath, `metadata names sequence ${meta.seq}, file is ${entry.seq}`);
      if (meta.configHash !== expectedConfigHash) {
        throw new CheckpointError('config_mismatch', entry.dataPath, `taken on VM configuration ${meta.configHash.slice(0, 12)}…, this VM is ${expectedConfigHash.slice(0, 12)}…`);
      }
      const size = statSync(entry.dataPath).size;
      if (size !== meta.bytes) throw new CheckpointError('truncated', entry.dataPath, `file is ${size} B, metadata says ${meta.bytes} B`);
      const sum = await sha256File(entry.dataPath);
      if (sum !== meta.sha256) throw new CheckpointError('checksum_mismatch', entry.dataPath, `SHA-256 ${sum.slice(0, 12)}… does not match ${meta.sha256.slice(0, 12)}…`);
      return meta;
    },
    async latestGood(expectedConfigHash, onSkip) {
      for (const entry of list()) {
        try {
          return { entry, meta: await store.verify(entry, expectedConfigHash) };
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw e;
          onSkip?.(e);
        }
      }
      return null;
    },
  };
  return store;
}
