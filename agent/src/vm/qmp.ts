// A QMP client over QEMU's unix socket: capability negotiation, one command in flight at a time
// (QMP answers in order, so a FIFO of pending calls matches replies), events to listeners.
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../log.ts';

export class QmpError extends Error {
  readonly qmpClass: string;
  readonly command: string;
  constructor(command: string, qmpClass: string, desc: string) {
    super(`QMP ${command}: ${qmpClass}: ${desc}`);
    this.name = 'QmpError';
    this.qmpClass = qmpClass;
    this.command = command;
  }
}

export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** QEMU's own timestamp of the event, in ms since the epoch (µs precision). */
  readonly timestampMs: number;
}

export interface QmpClient {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  onEvent(listener: (e: QmpEvent) => void): () => void;
  /** Resolves when QEMU closes the socket (it exited or quit). */
  readonly closed: Promise<void>;
  close(): void;
}

const errorReply = z.object({ error: z.object({ class: z.string(), desc: z.string() }).loose() }).loose();
const eventMsg = z.object({ event: z.string(), data: z.record(z.string(), z.unknown()).optional(), timestamp: z.object({ seconds: z.number(), microseconds: z.number() }) }).loose();
const anyObject = z.record(z.string(), z.unknown());

const MAX_LINE = 4 * 1024 * 1024;

export async function connectQmp(opts: { socketPath: string; log: Logger; connectTimeoutMs?: number; isAlive?: () => boolean }): Promise<QmpClient> {
  const deadline = performance.now() + (opts.connectTimeoutMs ?? 10_000);
  let sock: Socket | undefined;
  // QEMU creates the socket a little after it starts: retry until it is there (or QEMU died).
  while (!sock) {
    try {
      sock = await new Promise<Socket>((resolve, reject) => {
        const s = connect(opts.socketPath);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (performance.now() > deadline || (opts.isAlive && !opts.isAlive())) throw new Error(`cannot connect to QMP at ${opts.socketPath}: ${(e as Error).message}`, { cause: e });
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const s = sock;
  const pending: Array<{ command: string; resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  const listeners = new Set<(e: QmpEvent) => void>();
  let greeted: (() => void) | undefined;
  const greeting = new Promise<void>((r) => (greeted = r));
  let buf = '';
  let closedFlag = false;
  const closed = new Promise<void>((resolve) => {
    s.on('close', () => {
      closedFlag = true;
      for (const p of pending.splice(0)) p.reject(new Error(`QMP ${p.command}: QEMU closed the connection`));
      resolve();
    });
  });
  s.on('error', (e) => opts.log.debug({ err: e.message }, 'qmp socket error'));
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) {
      opts.log.error('QMP reply longer than 4 MiB: closing');
      s.destroy();
      return;
    }
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = anyObject.parse(JSON.parse(line));
      } catch {
        opts.log.warn({ line: line.slice(0, 200) }, 'unparseable QMP line ignored');
        continue;
      }
      if ('QMP' in msg) greeted?.();
      else if ('event' in msg) {
        const ev = eventMsg.safeParse(msg);
        if (!ev.success) continue;
        const e: QmpEvent = { event: ev.data.event, data: ev.data.data ?? {}, timestampMs: ev.data.timestamp.seconds * 1000 + ev.data.timestamp.microseconds / 1000 };
        for (const l of listeners) l(e);
      } else {
        const p = pending.shift();
        if (!p) continue;
        const err = errorReply.safeParse(msg);
        if (err.success) p.reject(new QmpError(p.command, err.data.error.class, err.data.error.desc));
        else p.resolve(msg.return);
      }
    }
  });

  const client: QmpClient = {
    execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      if (closedFlag) return Promise.reject(new Error(`QMP ${command}: connection closed`));
      return new Promise<T>((resolve, reject) => {
        pending.push({ command, resolve: resolve as (v: unknown) => void, reject });
        s.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    closed,
    close() {
      s.destroy();
    },
  };
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('QMP greeting timed out')), Math.max(1000, deadline - performance.now())).unref());
  await Promise.race([greeting, timeout, closed.then(() => Promise.reject(new Error('QEMU closed QMP before its greeting')))]);
  await client.execute('qmp_capabilities');
  return client;
}
