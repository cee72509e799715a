// The overlay's Transport over libp2p: one long-lived stream per peer and direction on
// /phantom/overlay/1.0.0, carrying length-prefixed frames of the core's byte codec (UTF-8 JSON).
// The first frame of every stream is a hello naming the sender's listen address, so the receiver
// can answer (and hand on) a dialable NodeRef instead of the ephemeral port the stream came from;
// the peer id beside it is the one noise authenticated.
//
// Delivery is best effort, as the interface promises: a failed dial or a reset stream drops what was
// queued for that peer (the overlay retries by its own timers); nothing here throws at the caller.
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { z } from 'zod';
import { encodeMessage, MAX_MESSAGE_BYTES, type WireMessage } from '../core/messages.ts';
import type { Logger } from '../log.ts';
import type { NodeRef, Transport } from './transport.ts';

export const OVERLAY_PROTOCOL = '/phantom/overlay/1.0.0';
const HEADER = 4;
/** Frames queued for one peer while its stream opens; older ones are dropped beyond this. */
const MAX_QUEUED = 256;

const Hello = z.object({ hello: z.literal(1), addr: z.string().min(1).max(600) }).strict();

export type FrameRejectReason = 'oversized' | 'not-json' | 'bad-hello';

export interface Libp2pTransportStats {
  sent: number;
  received: number;
  dropped: number;
  rejected: Record<FrameRejectReason, number>;
}

export interface Libp2pTransport extends Transport {
  readonly stats: Readonly<Libp2pTransportStats>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Libp2pTransportOptions {
  readonly node: Libp2p;
  readonly log: Logger;
  /** This node's dialable address; default: the first non-loopback address libp2p reports, with /p2p/<id>. */
  readonly selfAddr?: string;
  /** The LAN's multicast domain: peers found by mDNS (mdns-discovery.ts `lanMembership`). Empty without it. */
  readonly lan?: LanMembership;
  /** A peer found this soon after a multicast still gets it (ms; default 3000). */
  readonly multicastReplayMs?: number;
  readonly maxFrameBytes?: number;
}

/** Who is in this node's multicast domain, learnt over time (mDNS answers arrive when they do). */
export interface LanMembership {
  peers(): Iterable<NodeRef>;
  onPeer(fn: (peer: NodeRef) => void): void;
}

/** Splits a byte stream into length-prefixed frames; a frame over the limit poisons the stream. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Returns the complete frames now available, or the length that broke the limit. */
  push(chunk: Uint8Array): { frames: Uint8Array[]; oversized: number | null } {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < HEADER) break;
      const head = this.peek(HEADER);
      const len = new DataView(head.buffer, head.byteOffset, HEADER).getUint32(0);
      if (len > this.maxBytes) return { frames, oversized: len };
      if (this.buffered < HEADER + len) break;
      frames.push(this.take(HEADER + len).subarray(HEADER));
    }
    return { frames, oversized: null };
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    this.chunks = [concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    const all = this.chunks.length === 1 ? this.chunks[0]! : concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, HEADER);
  return out;
}

const encoder = new TextEncoder();

export function createLibp2pTransport(opts: Libp2pTransportOptions): Libp2pTransport {
  const { node, log } = opts;
  const maxFrame = opts.maxFrameBytes ?? MAX_MESSAGE_BYTES;
  const selfId = node.peerId.toString();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stats: Libp2pTransportStats = { sent: 0, received: 0, dropped: 0, rejected: { oversized: 0, 'not-json': 0, 'bad-hello': 0 } };
  let handler: ((from: NodeRef, raw: unknown) => void) | null = null;
  let running = false;

  interface Outbound {
    stream: Stream | null;
    queue: Uint8Array[];
    opening: boolean;
  }
  const outbound = new Map<string, Outbound>();
  // Multicast over mDNS reaches only peers already found; a node that multicasts right after it
  // starts (its solicit) would reach no one. Recent multicasts go to peers found shortly after.
  const replayMs = opts.multicastReplayMs ?? 3000;
  let recentMulticasts: Array<{ at: number; bytes: Uint8Array; sentTo: Set<string> }> = [];

  const selfAddr = (): string => {
    if (opts.selfAddr) return withPeerId(opts.selfAddr, selfId);
    // Listening on 0.0.0.0 yields loopback too: other machines can only use a real interface's address.
    const addrs = node.getMultiaddrs().map(String);
    const addr = addrs.find((a) => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a)) ?? addrs[0];
    if (!addr) throw new Error('libp2p node has no listen address yet: start it before the transport');
    return withPeerId(addr, selfId);
  };
  let self: NodeRef | null = null;

  const reject = (reason: FrameRejectReason, peer: string, detail: string): void => {
    stats.rejected[reason]++;
    log.warn({ peer, reason, detail }, 'overlay frame rejected');
  };

  const readStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString();
    const reader = new FrameReader(maxFrame);
    let from: NodeRef | null = null;
    try {
      for await (const chunk of stream) {
        const { frames, oversized } = reader.push(chunk.subarray());
        for (const f of frames) {
          let raw: unknown;
          try {
            raw = JSON.parse(decoder.decode(f));
          } catch (err) {
            reject(from ? 'not-json' : 'bad-hello', peer, (err as Error).message.slice(0, 120));
            if (!from) return stream.abort(new Error('first frame must be a hello'));
            continue;
          }
          if (!from) {
            const hello = Hello.safeParse(raw);
            const addr = hello.success ? hello.data.addr : '';
            // The claimed address must name the peer noise authenticated, or replies would go astray.
            if (!hello.success || !addr.endsWith(`/p2p/${peer}`)) {
              reject('bad-hello', peer, hello.success ? `address ${addr.slice(0, 120)} is not for ${peer}` : hello.error.issues[0]!.message);
              return stream.abort(new Error('bad hello'));
            }
            from = { id: peer, addr };
            continue;
          }
          stats.received++;
          try {
            handler?.(from, raw);
          } catch (err) {
            // A bug in the node's handling of one message must not take the stream down for the rest.
            log.error({ peer, err: (err as Error).message }, 'overlay message handler threw');
          }
        }
        if (oversized !== null) {
          reject('oversized', peer, `${oversized} > ${maxFrame} bytes`);
          // The stream can no longer be framed: drop it; the sender opens a new one next time.
          return stream.abort(new Error(`frame of ${oversized} bytes is over the ${maxFrame}-byte limit`));
        }
      }
    } catch (err) {
      log.debug({ peer, err: (err as Error).message }, 'overlay stream ended with an error');
    }
  };

  const flush = async (peer: string, out: Outbound): Promise<void> => {
    while (out.stream && out.queue.length > 0) {
      const f = out.queue.shift()!;
      try {
        if (!out.stream.send(f)) await out.stream.onDrain();
        stats.sent++;
      } catch (err) {
        log.debug({ peer, err: (err as Error).message }, 'overlay stream write failed');
        stats.dropped += 1 + out.queue.length;
        out.queue = [];
        out.stream = null;
      }
    }
  };

  const open = async (to: NodeRef, out: Outbound): Promise<void> => {
    out.opening = true;
    try {
      const target = dialTarget(node, to);
      const stream = await node.dialProtocol(target, OVERLAY_PROTOCOL);
      stream.send(frame(encoder.encode(JSON.stringify({ hello: 1, addr: self!.addr }))));
      stream.addEventListener('close', () => {
        if (out.stream === stream) out.stream = null;
      });
      // Nothing comes back on our outbound stream; reading lets its close be noticed.
      void (async () => {
        try {
          for await (const _ of stream) {
            // ignored
          }
        } catch {
          // reset: the close listener above already forgot it
        }
      })();
      if (!running) {
        stream.abort(new Error('transport stopped'));
        return;
      }
      out.stream = stream;
    } catch (err) {
      log.debug({ peer: to.id, addr: to.addr, err: (err as Error).message }, 'overlay dial failed');
      stats.dropped += out.queue.length;
      out.queue = [];
    } finally {
      out.opening = false;
    }
    await flush(to.id, out);
  };

  const sendBytes = (to: NodeRef, payload: Uint8Array): void => {
    if (!running || to.id === selfId) return;
    let out = outbound.get(to.id);
    if (!out) {
      out = { stream: null, queue: [], opening: false };
      outbound.set(to.id, out);
    }
    out.queue.push(frame(payload));
    if (out.queue.length > MAX_QUEUED) {
      out.queue.shift();
      stats.dropped++;
    }
    if (out.stream) {
      if (out.queue.length === 1) void flush(to.id, out);
    } else if (!out.opening) {
      void open(to, out);
    }
  };

  const encode = (msg: unknown): Uint8Array | null => {
    try {
      return encodeMessage(msg as WireMessage);
    } catch (err) {
      stats.dropped++;
      log.error({ err: (err as Error).message }, 'overlay message not sent');
      return null;
    }
  };

  return {
    get self() {
      if (!self) throw new Error('start the transport before using it');
      return self;
    },
    stats,
    async start() {
      self = { id: selfId, addr: selfAddr() };
      running = true;
      opts.lan?.onPeer((peer) => {
        const now = Date.now();
        for (const m of recentMulticasts) {
          if (now - m.at >= replayMs || m.sentTo.has(peer.id)) continue;
          m.sentTo.add(peer.id);
          sendBytes(peer, m.bytes);
        }
      });
      await node.handle(OVERLAY_PROTOCOL, (stream, connection) => readStream(stream, connection), { maxInboundStreams: 8, maxOutboundStreams: 8 });
    },
    async stop() {
      running = false;
      await node.unhandle(OVERLAY_PROTOCOL).catch(() => undefined);
      for (const out of outbound.values()) {
        out.queue = [];
        await out.stream?.close().catch(() => undefined);
      }
      outbound.clear();
    },
    send(to, msg) {
      const bytes = encode(msg);
      if (bytes) sendBytes(to, bytes);
    },
    multicast(msg) {
      const bytes = encode(msg);
      if (!bytes) return;
      const sentTo = new Set<string>();
      for (const peer of opts.lan?.peers() ?? []) {
        sentTo.add(peer.id);
        sendBytes(peer, bytes);
      }
      const now = Date.now();
      recentMulticasts = recentMulticasts.filter((m) => now - m.at < replayMs).slice(-15);
      recentMulticasts.push({ at: now, bytes, sentTo });
    },
    onMessage(fn) {
      handler = fn;
    },
  };
}

function withPeerId(addr: string, id: string): string {
  return /\/p2p\/[^/]+$/.test(addr) ? addr : `${addr}/p2p/${id}`;
}

/** An open connection to the peer is reused; otherwise its advertised address is dialled. */
function dialTarget(node: Libp2p, to: NodeRef): PeerId | ReturnType<typeof multiaddr> {
  let peerId: PeerId | null = null;
  try {
    peerId = peerIdFromString(to.id);
  } catch {
    // not a libp2p id: only the address can reach it
  }
  if (peerId && node.getConnections(peerId).some((c) => c.status === 'open')) return peerId;
  return multiaddr(withPeerId(to.addr, to.id));
}
