// The overlay transport over real libp2p nodes (TCP + noise + yamux on loopback).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import type { Libp2p, Stream } from '@libp2p/interface';
import pino from 'pino';
import { createLibp2pHost } from '../../agent/src/net/libp2p-host.ts';
import { createLibp2pTransport, frame, FrameReader, OVERLAY_PROTOCOL, type Libp2pTransport } from '../../agent/src/net/libp2p-transport.ts';
import { make, parseMessage, WIRE_VERSION } from '../../agent/src/core/messages.ts';
import type { NodeRef } from '../../agent/src/net/transport.ts';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

function captureLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Peer {
  node: Libp2p;
  transport: Libp2pTransport;
  got: Array<{ from: NodeRef; raw: unknown }>;
  cap: ReturnType<typeof captureLogger>;
}

async function peer(maxFrameBytes?: number): Promise<Peer> {
  const node = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519') });
  const cap = captureLogger();
  const transport = createLibp2pTransport({ node, log: cap.log, maxFrameBytes });
  const got: Peer['got'] = [];
  transport.onMessage((from, raw) => got.push({ from, raw }));
  await transport.start();
  return { node, transport, got, cap };
}

/** A hostile sender: a raw overlay stream that writes whatever bytes the test gives it. */
async function rawStream(from: Libp2p, to: Peer): Promise<Stream> {
  return from.dialProtocol(multiaddr(to.transport.self.addr), OVERLAY_PROTOCOL);
}

let a: Peer;
let b: Peer;
let c: Peer;

beforeAll(async () => {
  [a, b, c] = await Promise.all([peer(), peer(4096), peer()]);
});

afterAll(async () => {
  for (const p of [a, b, c]) {
    await p?.transport.stop();
    await p?.node.stop();
  }
});

describe('libp2p overlay transport', () => {
  it('delivers messages both ways with a dialable sender address, over one reused stream', async () => {
    for (let i = 0; i < 200; i++) a.transport.send(b.transport.self, make('ping', { nonce: i }));
    await until(() => b.got.length === 200, '200 pings');
    expect(b.got.map((g) => (g.raw as { nonce: number }).nonce)).toEqual([...Array(200).keys()]);
    expect(b.got[0]!.from).toEqual(a.transport.self);
    expect(b.got.every((g) => parseMessage(g.raw).ok)).toBe(true);

    // The reply goes to the NodeRef the message came with.
    b.transport.send(b.got[0]!.from, make('pong', { nonce: 7 }));
    await until(() => a.got.length === 1, 'pong');
    expect(a.got[0]).toEqual({ from: b.transport.self, raw: { v: WIRE_VERSION, t: 'pong', nonce: 7 } });

    const overlayStreams = a.node.getConnections(b.node.peerId).flatMap((conn) => conn.streams).filter((s) => s.protocol === OVERLAY_PROTOCOL && s.direction === 'outbound');
    expect(overlayStreams).toHaveLength(1);
    expect(a.transport.stats.sent).toBe(200);
    expect(a.transport.stats.dropped).toBe(0);
  });

  it('rejects an oversized frame, drops that stream and keeps serving everyone', async () => {
    const before = b.got.length;
    const s = await rawStream(c.node, b);
    s.send(frame(json({ hello: 1, addr: c.transport.self.addr })));
    const big = new Uint8Array(8000).fill(0x20);
    s.send(frame(big));
    await until(() => b.transport.stats.rejected.oversized === 1, 'oversized rejection');
    await until(() => s.status !== 'open', 'stream aborted');
    expect(b.cap.entries().some((e) => e.msg === 'overlay frame rejected' && e.reason === 'oversized' && /8000 > 4096/.test(String(e.detail)))).toBe(true);
    expect(b.got.length).toBe(before);

    // The node keeps running: C's transport (a fresh stream) and A still get through.
    c.transport.send(b.transport.self, make('ping', { nonce: 1001 }));
    a.transport.send(b.transport.self, make('ping', { nonce: 1002 }));
    await until(() => b.got.length === before + 2, 'messages after the bad frame');
    expect(b.got.slice(before).map((g) => g.from.id).sort()).toEqual([a.node.peerId.toString(), c.node.peerId.toString()].sort());
  });

  it('rejects a frame that is not JSON and reads on; hands malformed JSON to the node, which rejects it', async () => {
    const before = b.got.length;
    const s = await rawStream(c.node, b);
    s.send(frame(json({ hello: 1, addr: c.transport.self.addr })));
    s.send(frame(new Uint8Array([0xff, 0xfe, 0x7b])));
    s.send(frame(json({ v: 99, t: 'ping', nonce: 1 })));
    s.send(frame(json(make('ping', { nonce: 5 }))));
    await until(() => b.got.length === before + 2, 'two frames after the bad one');
    expect(b.transport.stats.rejected['not-json']).toBe(1);
    const [unknownVersion, good] = b.got.slice(before);
    expect(parseMessage(unknownVersion!.raw)).toMatchObject({ ok: false, reason: 'unknown-version' });
    expect(parseMessage(good!.raw)).toMatchObject({ ok: true, msg: { t: 'ping', nonce: 5 } });
    await s.close();
  });

  it('refuses a stream whose hello claims another peer, or that skips the hello', async () => {
    const before = b.got.length;
    const liar = await rawStream(c.node, b);
    liar.send(frame(json({ hello: 1, addr: a.transport.self.addr })));
    liar.send(frame(json(make('ping', { nonce: 66 }))));
    const rude = await rawStream(c.node, b);
    rude.send(frame(json(make('ping', { nonce: 67 }))));
    await until(() => b.transport.stats.rejected['bad-hello'] === 2, 'two bad hellos');
    expect(b.got.length).toBe(before);
  });

  it('drops what it cannot send, without throwing at the caller', async () => {
    const ghost = await generateKeyPair('Ed25519');
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id');
    const id = peerIdFromPrivateKey(ghost).toString();
    const droppedBefore = a.transport.stats.dropped;
    expect(() => a.transport.send({ id, addr: `/ip4/127.0.0.1/tcp/1/p2p/${id}` }, make('ping', { nonce: 1 }))).not.toThrow();
    await until(() => a.transport.stats.dropped === droppedBefore + 1, 'dial failure counted');

    const huge = make('put', { group: 'sg:x', key: 'k', value: 'x'.repeat(1 << 20), wid: 'w' });
    expect(() => a.transport.send(b.transport.self, huge)).not.toThrow();
    expect(a.transport.stats.dropped).toBe(droppedBefore + 2);
    expect(a.cap.entries().some((e) => e.msg === 'overlay message not sent' && /over/.test(String(e.err)))).toBe(true);
  });
});

describe('multicast over a learnt LAN membership', () => {
  it('reaches every known peer, and a peer found shortly after still gets recent multicasts', async () => {
    const node = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519') });
    // The membership mDNS would provide (mdns-discovery.ts), fed by hand: who is found, and when.
    const known: NodeRef[] = [];
    const listeners: Array<(p: NodeRef) => void> = [];
    const found = (p: NodeRef) => {
      known.push(p);
      for (const fn of listeners) fn(p);
    };
    const t = createLibp2pTransport({ node, log: pino({ level: 'silent' }), lan: { peers: () => known, onPeer: (fn) => void listeners.push(fn) }, multicastReplayMs: 60_000 });
    await t.start();
    try {
      const [aBefore, cBefore] = [a.got.length, c.got.length];
      found(a.transport.self);
      t.multicast(make('solicit', { grid: 'g1' }));
      await until(() => a.got.length === aBefore + 1, 'multicast to the known peer');
      expect(a.got.at(-1)!.raw).toMatchObject({ t: 'solicit', grid: 'g1' });

      // C is found after the multicast: it gets it too, once; A does not get it twice.
      found(c.transport.self);
      await until(() => c.got.length === cBefore + 1, 'replay to the late peer');
      expect(c.got.at(-1)).toMatchObject({ from: t.self, raw: { t: 'solicit', grid: 'g1' } });
      found(c.transport.self);
      await new Promise((r) => setTimeout(r, 200));
      expect([a.got.length, c.got.length]).toEqual([aBefore + 1, cBefore + 1]);
    } finally {
      await t.stop();
      await node.stop();
    }
  });
});

describe('FrameReader', () => {
  it('reassembles frames split at every byte boundary', () => {
    const payloads = [json({ a: 1 }), new Uint8Array(0), json('x'.repeat(300))];
    const bytes = new Uint8Array(payloads.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const p of payloads) {
      bytes.set(frame(p), at);
      at += 4 + p.length;
    }
    for (const step of [1, 3, 7, bytes.length]) {
      const r = new FrameReader(1000);
      const out: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += step) out.push(...r.push(bytes.subarray(i, i + step)).frames);
      expect(out.map((f) => Array.from(f))).toEqual(payloads.map((p) => Array.from(p)));
    }
  });
});
