// One job's results as the host sees them, independent of which QEMU process carries the guest:
// output is placed by its stream offset, so frames repeated after a restore or a migration
// switch-over are dropped and a gap is reported instead of silently joined over.
import type { ExitReport, GuestMessage, OutputFileStatus } from './guest-protocol.ts';

export interface OutputFile {
  readonly path: string;
  readonly status: OutputFileStatus;
  readonly mode: number;
  readonly content: Buffer;
}

export interface JobResult {
  readonly exit: ExitReport;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** Stream offset of the first byte held (0 unless this host joined a running job). */
  readonly stdoutBase: number;
  readonly stderrBase: number;
  readonly files: readonly OutputFile[];
}

/** The guest refused the job (bad request, busy) or lost output it was asked for. */
export class GuestJobError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'GuestJobError';
    this.code = code;
  }
}

/** Output held ahead of a gap (frames that overtook a re-send) before the run gives up. */
const MAX_PENDING = 16 * 1024 * 1024;

class Stream {
  base: number | null;
  private chunks: Buffer[] = [];
  private pending = new Map<number, Buffer>();
  private pendingBytes = 0;
  length = 0;
  constructor(base: number | null) {
    this.base = base;
  }
  get end(): number {
    return (this.base ?? 0) + this.length;
  }
  private append(offset: number, data: Buffer): Buffer {
    const fresh = data.subarray(Math.min(data.length, this.end - offset));
    if (fresh.length) {
      this.chunks.push(Buffer.from(fresh));
      this.length += fresh.length;
    }
    return fresh;
  }
  /** Returns the bytes that became contiguous, or an error text. */
  accept(offset: number, data: Buffer): Buffer | string {
    if (this.base === null) this.base = offset;
    if (offset > this.end) {
      // Ahead of what we hold: keep it until the missing part is re-sent.
      if (!this.pending.has(offset)) {
        this.pending.set(offset, Buffer.from(data));
        this.pendingBytes += data.length;
      }
      if (this.pendingBytes > MAX_PENDING) return `output gap at offset ${this.end} not filled after ${this.pendingBytes} B more`;
      return Buffer.alloc(0);
    }
    const out = [this.append(offset, data)];
    for (let progressed = true; progressed && this.pending.size; ) {
      progressed = false;
      for (const [off, buf] of this.pending) {
        if (off > this.end) continue;
        this.pending.delete(off);
        this.pendingBytes -= buf.length;
        out.push(this.append(off, buf));
        progressed = true;
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
  get missing(): boolean {
    return this.pending.size > 0;
  }
  bytes(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

export interface JobRunOptions {
  /** Called with each new piece of output, once, in order. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  /** Joining a job already running elsewhere: output before these offsets is not expected here. */
  readonly from?: { stdout: number; stderr: number } | 'first-seen';
}

export class JobRun {
  private readonly out: Stream;
  private readonly err: Stream;
  private readonly files = new Map<string, OutputFile>();
  private settled = false;
  private resolveFn!: (r: JobResult) => void;
  private rejectFn!: (e: Error) => void;
  readonly result: Promise<JobResult>;
  private readonly onOutput: JobRunOptions['onOutput'];
  /** Set when the guest reports the job started (its pid inside the guest). */
  guestPid: number | null = null;

  constructor(opts: JobRunOptions = {}) {
    const from = opts.from === 'first-seen' ? null : opts.from;
    this.out = new Stream(opts.from === 'first-seen' ? null : (from?.stdout ?? 0));
    this.err = new Stream(opts.from === 'first-seen' ? null : (from?.stderr ?? 0));
    this.onOutput = opts.onOutput;
    this.result = new Promise<JobResult>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
    // A caller that only checkpoints or migrates may never await the result.
    this.result.catch(() => {});
  }

  get done(): boolean {
    return this.settled;
  }

  /** Offsets of the next byte expected on each stream (what to ask a restored guest for). */
  offsets(): { stdout: number; stderr: number } {
    return { stdout: this.out.end, stderr: this.err.end };
  }

  stdoutSoFar(): Buffer {
    return this.out.bytes();
  }

  /** Feeds one guest message; returns false for messages that are not about the job. */
  accept(msg: GuestMessage): boolean {
    if (this.settled) return msg.type === 'out' || msg.type === 'file' || msg.type === 'exit';
    switch (msg.type) {
      case 'started':
        this.guestPid = msg.pid;
        return true;
      case 'out': {
        const s = msg.stream === 'stdout' ? this.out : this.err;
        const r = s.accept(msg.offset, msg.data);
        if (typeof r === 'string') this.fail(new GuestJobError('output_gap', `${msg.stream}: ${r}`));
        else if (r.length) this.onOutput?.(msg.stream, r);
        return true;
      }
      case 'file':
        this.files.set(msg.path, { path: msg.path, status: msg.status, mode: msg.mode, content: Buffer.from(msg.content) });
        return true;
      case 'exit': {
        if (msg.exit.stdoutBytes !== this.out.end || msg.exit.stderrBytes !== this.err.end) {
          // Output still in flight or lost: a HELLO with offsets brings it and the EXIT again.
          return true;
        }
        this.settled = true;
        this.resolveFn({
          exit: msg.exit,
          stdout: this.out.bytes(),
          stderr: this.err.bytes(),
          stdoutBase: this.out.base ?? 0,
          stderrBase: this.err.base ?? 0,
          files: [...this.files.values()],
        });
        return true;
      }
      case 'error':
        this.fail(new GuestJobError(msg.code, `guest: ${msg.message}`));
        return true;
      default:
        return false;
    }
  }

  fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(e);
  }
}
