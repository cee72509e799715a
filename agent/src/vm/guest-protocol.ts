// The guest-channel protocol (docs/GUEST.md), host side. Pure: encoders return bytes, the decoder
// takes bytes and returns frames, so it is tested without a guest and reused by every transport.
//
// Frame: 'P' 'G' | version u8 | type u8 | payload length u32 BE | payload.
import { z } from 'zod';

export const GUEST_PROTOCOL_VERSION = 1;
export const HEADER_LEN = 8;
/** Largest payload either side accepts; also bounds a job's request and each output file. */
export const MAX_PAYLOAD = 8 * 1024 * 1024;
export const MAX_PATH_LEN = 255;
export const MAX_ARGS = 256;
export const MAX_ENVS = 256;
export const MAX_OUTPUTS = 64;

export const HostFrame = { hello: 0x01, run: 0x02, cancel: 0x03, ping: 0x04 } as const;
export const GuestFrame = { ready: 0x81, out: 0x82, exit: 0x83, file: 0x84, heartbeat: 0x85, error: 0x86, pong: 0x87, started: 0x88 } as const;

const RunField = { arg: 1, env: 2, cwd: 3, stdin: 4, file: 5, output: 6 } as const;

export type GuestProtocolErrorCode = 'bad_magic' | 'bad_version' | 'too_long' | 'bad_payload' | 'unknown_type';

/** A frame the host refuses; the channel's framing is lost after one, so the session ends. */
export class GuestProtocolError extends Error {
  readonly code: GuestProtocolErrorCode;
  constructor(code: GuestProtocolErrorCode, message: string) {
    super(message);
    this.name = 'GuestProtocolError';
    this.code = code;
  }
}

// ---- job requests (validated before anything is sent) ----

const relPath = z
  .string()
  .min(1)
  .max(MAX_PATH_LEN)
  .refine((p) => !p.startsWith('/') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && !p.includes('\0'), {
    message: 'must be a relative path under /job without "." or ".." parts',
  });
const noNul = (what: string) => z.string().refine((s) => !s.includes('\0'), { message: `${what} must not contain NUL` });

export const guestJobSchema = z.object({
  argv: z.array(noNul('an argument')).min(1).max(MAX_ARGS),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are [A-Za-z_][A-Za-z0-9_]*'), noNul('an environment value')).default({}),
  cwd: relPath.optional(),
  stdin: z.instanceof(Uint8Array).optional(),
  files: z
    .array(z.object({ path: relPath, content: z.instanceof(Uint8Array), mode: z.number().int().min(0).max(0o777).default(0o644) }))
    .max(1024)
    .default([]),
  outputs: z.array(relPath).max(MAX_OUTPUTS).default([]),
});
export type GuestJob = z.input<typeof guestJobSchema>;

function field(tag: number, value: Uint8Array): Buffer {
  const h = Buffer.alloc(5);
  h[0] = tag;
  h.writeUInt32BE(value.length, 1);
  return Buffer.concat([h, value]);
}

export function frame(type: number, payload: Uint8Array = new Uint8Array()): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new GuestProtocolError('too_long', `frame payload ${payload.length} B exceeds ${MAX_PAYLOAD} B`);
  const h = Buffer.alloc(HEADER_LEN);
  h[0] = 0x50;
  h[1] = 0x47;
  h[2] = GUEST_PROTOCOL_VERSION;
  h[3] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Validates a job and encodes its RUN frame; throws a ZodError naming the bad field, or a size error. */
export function encodeRun(input: GuestJob): Buffer {
  const job = guestJobSchema.parse(input);
  const parts: Buffer[] = [];
  for (const a of job.argv) parts.push(field(RunField.arg, Buffer.from(a)));
  const env = Object.entries(job.env);
  if (env.length > MAX_ENVS) throw new GuestProtocolError('too_long', `env has ${env.length} entries; at most ${MAX_ENVS}`);
  for (const [k, v] of env) parts.push(field(RunField.env, Buffer.from(`${k}=${v}`)));
  if (job.cwd) parts.push(field(RunField.cwd, Buffer.from(job.cwd)));
  if (job.stdin) parts.push(field(RunField.stdin, job.stdin));
  for (const f of job.files) {
    const p = Buffer.from(f.path);
    const h = Buffer.alloc(6);
    h.writeUInt32BE(f.mode, 0);
    h.writeUInt16BE(p.length, 4);
    parts.push(field(RunField.file, Buffer.concat([h, p, f.content])));
  }
  for (const o of job.outputs) parts.push(field(RunField.output, Buffer.from(o)));
  const payload = Buffer.concat(parts);
  if (payload.length > MAX_PAYLOAD) {
    throw new GuestProtocolError('too_long', `job request is ${payload.length} B (argv, env, stdin and files together); at most ${MAX_PAYLOAD} B`);
  }
  return frame(HostFrame.run, payload);
}

/**
 * HELLO asks for READY. With offsets it also asks the guest to re-send output from there and, when
 * its job has ended, the results again: what a host does after a restore or a migration switch-over.
 */
export function encodeHello(resendFrom?: { stdout: number; stderr: number }): Buffer {
  if (!resendFrom) return frame(HostFrame.hello);
  const p = Buffer.alloc(16);
  p.writeBigUInt64BE(BigInt(resendFrom.stdout), 0);
  p.writeBigUInt64BE(BigInt(resendFrom.stderr), 8);
  return frame(HostFrame.hello, p);
}
export function encodePing(seq: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(seq >>> 0);
  return frame(HostFrame.ping, p);
}
export function encodeCancel(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): Buffer {
  return frame(HostFrame.cancel, Buffer.from([{ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal]]));
}

// ---- guest messages ----

export const readySchema = z.object({
  proto: z.number().int(),
  agent: z.string().max(64),
  nproc: z.number().int().positive(),
  memTotalKb: z.number().int().positive(),
  uptimeMs: z.number().int().nonnegative(),
  job: z.boolean(),
  stdoutOffset: z.number().int().nonnegative(),
  stderrOffset: z.number().int().nonnegative(),
}).strict();
export const heartbeatSchema = z.object({ seq: z.number().int().nonnegative(), uptimeMs: z.number().int().nonnegative(), job: z.boolean() }).strict();
const minusOneIsNull = z.number().int().min(-1).transform((n) => (n < 0 ? null : n));
export const exitSchema = z.object({
  code: minusOneIsNull,
  signal: minusOneIsNull,
  utimeUs: z.number().int().nonnegative(),
  stimeUs: z.number().int().nonnegative(),
  maxRssKb: z.number().int().nonnegative(),
  wallMs: z.number().int().nonnegative(),
  stdoutBytes: z.number().int().nonnegative(),
  stderrBytes: z.number().int().nonnegative(),
}).strict();
export const errorSchema = z.object({ code: z.string().max(32), message: z.string().max(512) }).strict();
export const startedSchema = z.object({ pid: z.number().int().positive() }).strict();

export type Ready = z.infer<typeof readySchema>;
export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type ExitReport = z.infer<typeof exitSchema>;
export type OutputFileStatus = 'ok' | 'missing' | 'too_large' | 'not_regular';

export type GuestMessage =
  | { readonly type: 'ready'; readonly ready: Ready }
  | { readonly type: 'heartbeat'; readonly heartbeat: Heartbeat }
  | { readonly type: 'started'; readonly pid: number }
  | { readonly type: 'out'; readonly stream: 'stdout' | 'stderr'; readonly offset: number; readonly data: Buffer }
  | { readonly type: 'file'; readonly path: string; readonly status: OutputFileStatus; readonly mode: number; readonly content: Buffer }
  | { readonly type: 'exit'; readonly exit: ExitReport }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'pong'; readonly seq: number };

function json<T>(schema: z.ZodType<T>, payload: Buffer, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new GuestProtocolError('bad_payload', `${what}: payload is not JSON`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new GuestProtocolError('bad_payload', `${what}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

const fileStatus: readonly OutputFileStatus[] = ['ok', 'missing', 'too_large', 'not_regular'];

export function decodeGuestPayload(type: number, p: Buffer): GuestMessage {
  switch (type) {
    case GuestFrame.ready:
      return { type: 'ready', ready: json(readySchema, p, 'READY') };
    case GuestFrame.heartbeat:
      return { type: 'heartbeat', heartbeat: json(heartbeatSchema, p, 'HEARTBEAT') };
    case GuestFrame.started:
      return { type: 'started', pid: json(startedSchema, p, 'STARTED').pid };
    case GuestFrame.exit:
      return { type: 'exit', exit: json(exitSchema, p, 'EXIT') };
    case GuestFrame.error: {
      const e = json(errorSchema, p, 'ERROR');
      return { type: 'error', code: e.code, message: e.message };
    }
    case GuestFrame.pong:
      if (p.length !== 4) throw new GuestProtocolError('bad_payload', `PONG: payload is ${p.length} B, expected 4`);
      return { type: 'pong', seq: p.readUInt32BE(0) };
    case GuestFrame.out: {
      if (p.length < 9) throw new GuestProtocolError('bad_payload', `OUT: payload is ${p.length} B, expected at least 9`);
      const s = p[0];
      if (s !== 1 && s !== 2) throw new GuestProtocolError('bad_payload', `OUT: stream ${s} is neither 1 (stdout) nor 2 (stderr)`);
      const offset = Number(p.readBigUInt64BE(1));
      if (!Number.isSafeInteger(offset)) throw new GuestProtocolError('bad_payload', 'OUT: offset out of range');
      return { type: 'out', stream: s === 1 ? 'stdout' : 'stderr', offset, data: p.subarray(9) };
    }
    case GuestFrame.file: {
      if (p.length < 7) throw new GuestProtocolError('bad_payload', `FILE: payload is ${p.length} B, expected at least 7`);
      const status = fileStatus[p[0]!];
      if (!status) throw new GuestProtocolError('bad_payload', `FILE: unknown status ${p[0]}`);
      const plen = p.readUInt16BE(5);
      if (plen === 0 || plen > MAX_PATH_LEN || 7 + plen > p.length) throw new GuestProtocolError('bad_payload', `FILE: path length ${plen} is invalid`);
      const path = p.subarray(7, 7 + plen).toString('utf8');
      const content = p.subarray(7 + plen);
      if (status !== 'ok' && content.length > 0) throw new GuestProtocolError('bad_payload', `FILE: ${status} file carries content`);
      return { type: 'file', path, status, mode: p.readUInt32BE(1) & 0o777, content };
    }
    default:
      throw new GuestProtocolError('unknown_type', `unknown guest frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/**
 * Incremental frame decoder. `push` returns the complete messages in the bytes so far and, at the
 * first bad frame, the error; after that the decoder refuses further input (framing is lost).
 */
export class GuestFrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed: GuestProtocolError | null = null;
  /** Bytes skipped while resynchronising. */
  skipped = 0;
  private resync: boolean;

  /**
   * `resync`: the connection may start in the middle of a frame (a new QEMU after a restore or a
   * migration finishes writing a buffer the old one began); skip to the first plausible header.
   */
  constructor(opts: { resync?: boolean } = {}) {
    this.resync = opts.resync ?? false;
  }

  private skipToHeader(): void {
    const types = new Set<number>(Object.values(GuestFrame));
    let i = 0;
    for (; i + HEADER_LEN <= this.buf.length; i++) {
      const b = this.buf;
      if (b[i] === 0x50 && b[i + 1] === 0x47 && b[i + 2] === GUEST_PROTOCOL_VERSION && types.has(b[i + 3]!) && b.readUInt32BE(i + 4) <= MAX_PAYLOAD) break;
    }
    this.skipped += i;
    this.buf = this.buf.subarray(i);
    if (this.buf.length >= HEADER_LEN) this.resync = false;
  }

  push(chunk: Uint8Array): { messages: GuestMessage[]; error: GuestProtocolError | null } {
    if (this.failed) return { messages: [], error: this.failed };
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: GuestMessage[] = [];
    if (this.resync) this.skipToHeader();
    try {
      while (!this.resync && this.buf.length >= HEADER_LEN) {
        const b = this.buf;
        if (b[0] !== 0x50 || b[1] !== 0x47) throw new GuestProtocolError('bad_magic', `bad frame magic 0x${b.subarray(0, 2).toString('hex')}`);
        if (b[2] !== GUEST_PROTOCOL_VERSION) {
          throw new GuestProtocolError('bad_version', `guest speaks protocol version ${b[2]}; this host speaks ${GUEST_PROTOCOL_VERSION}`);
        }
        const len = b.readUInt32BE(4);
        if (len > MAX_PAYLOAD) throw new GuestProtocolError('too_long', `frame payload ${len} B exceeds ${MAX_PAYLOAD} B`);
        if (b.length < HEADER_LEN + len) break;
        const payload = b.subarray(HEADER_LEN, HEADER_LEN + len);
        this.buf = b.subarray(HEADER_LEN + len);
        out.push(decodeGuestPayload(b[3]!, payload));
      }
    } catch (e) {
      if (!(e instanceof GuestProtocolError)) throw e;
      this.failed = e;
      this.buf = Buffer.alloc(0);
    }
    return { messages: out, error: this.failed };
  }
}
