// One guest: its QEMU process, QMP connection, guest channel and watchdog. Jobs, checkpoints and
// migrations go through here; what outlives a QEMU process (a job's output) lives in JobRun.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { connectQmp, QmpError, type QmpClient, type QmpEvent } from './qmp.ts';
import { encodeHello, encodePing, encodeRun, encodeCancel, GuestFrameDecoder, type GuestProtocolError, type GuestJob, type GuestMessage, type Ready } from './guest-protocol.ts';
import { JobRun, type JobRunOptions } from './job-run.ts';
import { CheckpointError, type CheckpointMeta, type CheckpointStore } from './checkpoint-store.ts';
import type { MachineConfig, VmSpec } from './qemu-command.ts';

export type VmExitReason = 'exited' | 'killed' | 'hung' | 'incoming_stuck' | 'protocol_error' | 'migrated' | 'shutdown';

export interface VmExit {
  readonly reason: VmExitReason;
  readonly code: number | null;
  readonly signal: string | null;
  /** The end of QEMU's stderr, for the log and error messages. */
  readonly stderr: string;
}

export interface CheckpointResult {
  readonly meta: CheckpointMeta;
  readonly path: string;
  /** From `migrate` to the file being sealed. */
  readonly totalMs: number;
  /** Guest stopped → running again, from QEMU's STOP/RESUME event timestamps. */
  readonly pauseMs: number;
  /** QEMU's own downtime figure for the final stop-and-copy phase. */
  readonly downtimeMs: number;
}

export interface MigrateResult {
  readonly totalMs: number;
  readonly downtimeMs: number;
}

export interface LaunchOptions {
  readonly log: Logger;
  readonly spec: VmSpec;
  readonly cfg: MachineConfig;
  readonly configHash: string;
  readonly qemuPath: string;
  readonly args: string[];
  readonly vmDir: string;
  readonly qmpSocket: string;
  readonly agentSocket: string;
  readonly placeProcess?: (pid: number) => void | Promise<void>;
  readonly heartbeatTimeoutMs: number;
  readonly incomingTimeoutMs: number;
  readonly bootTimeoutMs: number;
  /** Restore or receive: the migration stream to load before the guest runs. */
  readonly incoming?: { readonly uri: string; readonly started?: () => void };
  /** A job already running inside the guest (restore, migration) and where its output stands. */
  readonly resume?: JobRun;
  readonly onExit?: (vm: Vm) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connectUnix(path: string, alive: () => boolean, timeoutMs: number): Promise<Socket> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (!alive() || performance.now() > deadline) throw new Error(`cannot connect to the guest channel ${path}: ${(e as Error).message}`, { cause: e });
      await sleep(10);
    }
  }
}

async function waitPipeline(rcPath: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let rc: string | null;
    try {
      rc = readFileSync(rcPath, 'utf8');
    } catch {
      rc = null;
    }
    if (rc !== null && rc.endsWith('\n')) {
      rmSync(rcPath, { force: true });
      if (rc.trim() !== '0') throw new Error(`the checkpoint pipeline failed (zstd exit status ${rc.trim()})`);
      return;
    }
    if (performance.now() > deadline) throw new Error(`the checkpoint pipeline did not finish within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function shellQuote(path: string): string {
  if (!/^[A-Za-z0-9_./+-]+$/.test(path)) throw new Error(`unsafe path for a migration pipeline: ${path}`);
  return path;
}

export class Vm {
  readonly spec: VmSpec;
  readonly cfg: MachineConfig;
  readonly configHash: string;
  readonly exited: Promise<VmExit>;
  ready: Ready | null = null;
  private readonly log: Logger;
  private readonly o: LaunchOptions;
  private proc!: ChildProcess;
  private qmp!: QmpClient;
  private chan!: Socket;
  private decoder: GuestFrameDecoder;
  private run_: JobRun | null = null;
  private stderrTail = '';
  private lastSeen = performance.now();
  private paused = true;
  /** Checkpoint or migration in progress: pauses are expected. */
  private busy = false;
  private exitReason: VmExitReason | null = null;
  private resolveExit!: (e: VmExit) => void;
  private readyWaiters: Array<(r: Ready) => void> = [];
  private pongWaiters = new Map<number, () => void>();
  private pingSeq = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private askedResend = false;
  private events: QmpEvent[] = [];

  private constructor(o: LaunchOptions) {
    this.o = o;
    this.spec = o.spec;
    this.cfg = o.cfg;
    this.configHash = o.configHash;
    this.log = o.log;
    this.decoder = new GuestFrameDecoder({ resync: Boolean(o.incoming) });
    this.run_ = o.resume ?? null;
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get job(): JobRun | null {
    return this.run_;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  static async launch(o: LaunchOptions): Promise<Vm> {
    const vm = new Vm(o);
    await vm.init();
    return vm;
  }

  private async init(): Promise<void> {
    const o = this.o;
    this.proc = spawn(o.qemuPath, o.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-4096)));
    this.proc.on('exit', (code, signal) => {
      if (this.watchdog) clearInterval(this.watchdog);
      const exit: VmExit = { reason: this.exitReason ?? (signal ? 'killed' : 'exited'), code, signal, stderr: this.stderrTail.trim() };
      this.log.info({ pid: this.proc.pid, ...exit }, 'qemu exited');
      this.chan?.destroy();
      this.qmp?.close();
      if (this.run_ && !this.run_.done && exit.reason !== 'migrated') {
        // The job's record stays: a restore or a migration target can carry it on.
        this.log.warn({ reason: exit.reason }, 'guest ended with its job unfinished');
      }
      rmSync(o.vmDir, { recursive: true, force: true });
      this.resolveExit(exit);
      o.onExit?.(this);
    });
    const spawned = await new Promise<Error | null>((resolve) => {
      this.proc.once('spawn', () => resolve(null));
      this.proc.once('error', (e) => resolve(e));
    });
    if (spawned) throw new Error(`cannot start ${o.qemuPath}: ${spawned.message}`);
    try {
      if (o.placeProcess) await o.placeProcess(this.proc.pid!);
      this.qmp = await connectQmp({ socketPath: o.qmpSocket, log: this.log, isAlive: () => this.alive });
      this.qmp.onEvent((e) => this.onEvent(e));
      this.chan = await connectUnix(o.agentSocket, () => this.alive, 10_000);
      this.chan.on('data', (d: Buffer) => this.onData(d));
      this.chan.on('error', (e) => this.log.debug({ err: e.message }, 'guest channel error'));
      if (o.incoming) {
        await this.qmp.execute('migrate-incoming', { uri: o.incoming.uri });
        o.incoming.started?.();
        await this.waitIncoming(o.incomingTimeoutMs);
      }
      const readyP = this.waitReady(o.bootTimeoutMs);
      // Awaited below; if a step before fails, QEMU is killed and this must not reject unheard.
      readyP.catch(() => {});
      this.lastSeen = performance.now();
      await this.qmp.execute('cont');
      this.paused = false;
      if (o.resume) this.send(encodeHello(o.resume.offsets()));
      await readyP;
      this.watchdog = setInterval(() => this.checkHeartbeat(), 1000);
      this.watchdog.unref();
    } catch (e) {
      this.kill();
      await this.exited;
      const why = this.stderrTail.trim();
      throw why ? new Error(`${(e as Error).message} (qemu: ${why.split('\n').slice(-3).join(' | ')})`) : e;
    }
  }

  private async waitIncoming(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const gone = new Error('QEMU exited while loading the incoming stream (broken or incompatible stream)');
      if (!this.alive) throw gone;
      const st = await this.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate').catch(async (e: unknown) => {
        await Promise.race([this.exited, sleep(1000)]);
        throw this.alive ? e : gone;
      });
      if (st.status === 'completed') return;
      if (st.status === 'failed' || st.status === 'cancelled') throw new Error(`incoming migration ${st.status}: ${st['error-desc'] ?? 'no reason given'}`);
      if (performance.now() > deadline) {
        // A broken stream can leave QEMU spinning forever: end it.
        this.exitReason = 'incoming_stuck';
        throw new Error(`incoming migration did not finish within ${timeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  private waitReady(timeoutMs: number): Promise<Ready> {
    return new Promise<Ready>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`guest agent did not answer within ${timeoutMs} ms`)), timeoutMs);
      const done = (r: Ready) => {
        clearTimeout(t);
        resolve(r);
      };
      this.readyWaiters.push(done);
      void this.exited.then(() => {
        clearTimeout(t);
        reject(new Error('QEMU exited before the guest agent answered'));
      });
    });
  }

  private onEvent(e: QmpEvent): void {
    this.events.push(e);
    if (this.events.length > 64) this.events.shift();
    if (e.event === 'STOP') this.paused = true;
    if (e.event === 'RESUME') {
      this.paused = false;
      this.lastSeen = performance.now();
    }
  }

  private checkHeartbeat(): void {
    if (this.paused || this.busy || !this.alive) return;
    const silent = performance.now() - this.lastSeen;
    if (silent > this.o.heartbeatTimeoutMs) {
      this.log.error({ silentMs: Math.round(silent) }, 'guest agent silent: killing QEMU');
      this.exitReason = 'hung';
      this.run_?.fail(new Error(`guest hung: no heartbeat for ${Math.round(silent)} ms`));
      this.proc.kill('SIGKILL');
    }
  }

  private onData(d: Buffer): void {
    this.lastSeen = performance.now();
    const { messages, error } = this.decoder.push(d);
    for (const m of messages) this.route(m);
    if (error) this.protocolError(error);
  }

  private protocolError(e: GuestProtocolError): void {
    if (this.exitReason) return;
    this.log.error({ code: e.code, err: e.message }, 'malformed frame on the guest channel: ending this guest');
    this.exitReason = 'protocol_error';
    this.run_?.fail(e);
    this.proc.kill('SIGKILL');
  }

  private route(m: GuestMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = m.ready;
        for (const w of this.readyWaiters.splice(0)) w(m.ready);
        return;
      case 'heartbeat':
        return;
      case 'pong':
        this.pongWaiters.get(m.seq)?.();
        this.pongWaiters.delete(m.seq);
        return;
      default: {
        const run = this.run_;
        if (!run || !run.accept(m)) {
          if (m.type === 'error') this.log.warn({ code: m.code, msg: m.message }, 'guest reported an error');
          return;
        }
        if (m.type === 'exit' && !run.done && !this.askedResend) {
          // EXIT arrived before all output did (lost in a switch-over): ask for the rest once.
          this.askedResend = true;
          this.send(encodeHello(run.offsets()));
        }
      }
    }
  }

  private send(b: Buffer): void {
    this.chan.write(b);
  }

  /** Starts a job in this guest. Throws (naming the field) on an invalid job, before anything is sent. */
  run(job: GuestJob, opts: JobRunOptions = {}): JobRun {
    if (this.run_ && !this.run_.done) throw new Error('this guest is already running a job');
    const frame = encodeRun(job);
    const run = new JobRun(opts);
    this.run_ = run;
    this.askedResend = false;
    this.send(frame);
    return run;
  }

  cancel(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT' = 'SIGTERM'): void {
    this.send(encodeCancel(signal));
  }

  /** Round trip to the guest agent in ms. */
  async ping(timeoutMs = 5000): Promise<number> {
    const seq = ++this.pingSeq >>> 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pongWaiters.delete(seq);
        reject(new Error(`no PONG within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pongWaiters.set(seq, () => {
        clearTimeout(t);
        resolve();
      });
      this.send(encodePing(seq));
    });
    return performance.now() - t0;
  }

  /**
   * Runs a migration to `uri`. `onSwitchover` runs the moment QEMU reports completion (from its
   * MIGRATION event, with polling as a fallback): for a checkpoint that resumes the guest, so the
   * pause lasts no longer than it must.
   */
  private async migrate(uri: string, onSwitchover?: () => Promise<void>): Promise<{ downtimeMs: number; totalMs: number }> {
    const t0 = performance.now();
    await this.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    await this.qmp.execute('migrate-set-parameters', { 'max-bandwidth': 8 * 1024 * 1024 * 1024, 'downtime-limit': 50 });
    let settle!: (status: string) => void;
    const settled = new Promise<string>((r) => (settle = r));
    const off = this.qmp.onEvent((e) => {
      const status = typeof e.data.status === 'string' ? e.data.status : '';
      if (e.event === 'MIGRATION' && (status === 'completed' || status === 'failed' || status === 'cancelled')) settle(status);
    });
    try {
      await this.qmp.execute('migrate', { uri });
      // Only the MIGRATION events are trusted for the outgoing state: on a QEMU that was itself
      // restored or received, query-migrate keeps reporting that incoming stream as "completed".
      let status: string | null = null;
      while (status === null) {
        status = await Promise.race([settled, sleep(200).then(() => null)]);
        if (status === null && !this.alive) throw new Error('QEMU exited during migration');
      }
      if (status === 'completed' && onSwitchover) await onSwitchover();
      const st = await this.qmp.execute<{ status?: string; downtime?: number; 'total-time'?: number; 'error-desc'?: string }>('query-migrate');
      if (status !== 'completed') throw new Error(`migration ${status}: ${st['error-desc'] ?? 'no reason given'}`);
      // A QEMU that was itself restored reports its old incoming stream here (total 0): use our clock then.
      const total = st['total-time'] ? st['total-time'] : performance.now() - t0;
      return { downtimeMs: st.downtime ?? NaN, totalMs: total };
    } finally {
      off();
    }
  }

  /**
   * QEMU emits "completed" a moment before it has finalised the migration and refuses `cont`
   * until then ("Migration is not finalized yet"): retry briefly.
   */
  private async contAfterMigration(): Promise<void> {
    const deadline = performance.now() + 5000;
    for (;;) {
      try {
        await this.qmp.execute('cont');
        return;
      } catch (e) {
        if (!(e instanceof QmpError) || !/not finalized/i.test(e.message) || performance.now() > deadline) throw e;
        await sleep(1);
      }
    }
  }

  /**
   * Live checkpoint: pre-copies RAM into a zstd stream while the guest runs, stops it only for the
   * final pass, then resumes it and seals the file. A failed attempt leaves earlier checkpoints as
   * they were.
   */
  async checkpoint(store: CheckpointStore, meta: { jobId: string; live?: boolean }): Promise<CheckpointResult> {
    if (this.busy) throw new Error('a checkpoint or migration is already in progress');
    this.busy = true;
    const t0 = performance.now();
    const mark = this.events.length;
    let seq = -1;
    let partial = store.dir;
    try {
      seq = store.nextSeq();
      partial = store.partialPath(seq);
      // QEMU reports "completed" once it has written the stream, whether or not the pipeline
      // stored it: the pipeline's exit status in a file says whether it did.
      const rcPath = join(this.o.vmDir, `ckpt-${seq}.rc`);
      rmSync(rcPath, { force: true });
      // Live pre-copy (guest running while RAM streams out) gave a restore that crashed the guest
      // kernel about one time in five under TCG with QEMU 7.2, stop-first never did: it is the
      // default until that is understood. See docs/GUEST.md.
      if (!meta.live) await this.qmp.execute('stop');
      const res = await this.migrate(`exec:zstd -1 -q -c > ${shellQuote(partial)}; echo $? > ${shellQuote(rcPath)}`, () => this.contAfterMigration());
      await waitPipeline(rcPath, 30_000);
      const evs = this.events.slice(Math.max(0, mark - 64));
      const stop = evs.filter((e) => e.event === 'STOP').at(-1);
      const resume = evs.filter((e) => e.event === 'RESUME').at(-1);
      const sealed = await store.seal(seq, {
        jobId: meta.jobId,
        configHash: this.configHash,
        imageVersion: this.cfg.imageVersion,
        createdAtMs: Date.now(),
        output: this.run_?.offsets() ?? { stdout: 0, stderr: 0 },
      });
      await sleep(0);
      const resumeTs = resume?.timestampMs ?? NaN;
      return {
        meta: sealed,
        path: store.list().find((e) => e.seq === seq)!.dataPath,
        totalMs: performance.now() - t0,
        pauseMs: stop && resume ? resumeTs - stop.timestampMs : NaN,
        downtimeMs: res.downtimeMs,
      };
    } catch (e) {
      if (seq >= 0) {
        try {
          store.discard(seq);
        } catch {
          // The store's disk is what failed; nothing to clean up there.
        }
      }
      if (this.alive) await this.qmp.execute('cont').catch(() => {});
      throw e instanceof CheckpointError ? e : new CheckpointError('write_failed', partial, (e as Error).message);
    } finally {
      this.lastSeen = performance.now();
      this.busy = false;
    }
  }

  /** Live-migrates to a receiving QEMU (`tcp:127.0.0.1:PORT`); this QEMU quits once it completes. */
  async migrateTo(uri: string): Promise<MigrateResult> {
    if (this.busy) throw new Error('a checkpoint or migration is already in progress');
    if (!/^tcp:[A-Za-z0-9.:[\]-]+:\d+$/.test(uri)) throw new Error(`migration URI must be tcp:HOST:PORT, got ${uri}`);
    this.busy = true;
    try {
      const res = await this.migrate(uri);
      this.exitReason = 'migrated';
      // Keep reading the channel until QEMU is gone: output it flushed before the switch is ours.
      await this.qmp.execute('quit').catch(() => {});
      await this.exited;
      return res;
    } catch (e) {
      if (this.alive && this.exitReason !== 'migrated') await this.qmp.execute('cont').catch(() => {});
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** QEMU's timestamp (ms since the epoch) of the latest QMP event of this name, if seen. */
  lastEventAt(event: string): number | undefined {
    return this.events.filter((e) => e.event === event).at(-1)?.timestampMs;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exitReason) this.exitReason = 'killed';
    if (this.alive) this.proc.kill(signal);
  }

  async shutdown(): Promise<VmExit> {
    if (this.alive) {
      this.exitReason ??= 'shutdown';
      await this.qmp.execute('quit').catch(() => {});
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      const exit = await this.exited;
      clearTimeout(t);
      return exit;
    }
    return this.exited;
  }
}
