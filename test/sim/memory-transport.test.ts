// The same node code on a real event loop: in-process transport through the byte codec, wall-clock
// timers, the real codec and Ed25519. What the libp2p transport will provide, minus the sockets.
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OVERLAY, OverlayNode, type QueryResult } from '../../agent/src/core/node.ts';
import { issueInvite } from '../../agent/src/core/invite.ts';
import { createMemoryNameService, createMemoryNetwork } from '../../agent/src/net/memory-transport.ts';
import { realClock, realTimers } from '../../agent/src/net/real-time.ts';
import { createReedSolomonCodec } from '../../agent/src/net/reed-solomon.ts';
import { createEd25519Signatures, createGridKey } from '../../agent/src/net/invite-crypto.ts';

const sig = createEd25519Signatures();
const key = createGridKey();
const net = createMemoryNetwork({ maxBytes: 64 * 1024 });
const names = createMemoryNameService();
const codec = createReedSolomonCodec();
const nodes: OverlayNode[] = [];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const start = Date.now();

function node(id: string, free: number, vos: string[]) {
  const invite = issueInvite({ grid: key.grid, gridKey: key.publicKey, vos: ['vo-a', 'vo-b'], node: '', issuedAt: Date.now() - 1000, expiresAt: Date.now() + 3_600_000, nonce: id }, key.privateKey, sig);
  const n = new OverlayNode(
    { ...DEFAULT_OVERLAY, solicitMs: 150, grid: key.grid, gridKey: key.publicKey, invite, region: 'r0', regions: ['r0'], res: { cores: 4, memoryMiB: 8192, flops: 1e11, diskMiB: 10_000, bandwidthMbps: 1000 }, vos },
    { transport: net.transport({ id, addr: `mem:${id}` }), clock: realClock, timers: realTimers, random: Math.random, erasure: codec, signatures: sig, names, log: quiet,
      availability: () => ({ freeCores: 16 * free, freeMemoryMiB: 32768 * free, uptimeMs: Date.now() - start, recentFailures: 0 }) },
  );
  nodes.push(n);
  n.start();
  return n;
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

afterAll(() => nodes.forEach((n) => n.stop()));

describe('overlay over an in-process network (byte codec, real timers)', () => {
  it('three nodes form one sub-grid, answer a query, and survive garbage frames', async () => {
    const a = node('a', 0.9, ['vo-a']);
    await until(() => a.sub.isLeader);
    const b = node('b', 0.5, ['vo-b']);
    const c = node('c', 0.3, ['vo-a']);
    await until(() => b.phase === 'member' && c.phase === 'member' && b.sub.leader?.id === 'a' && c.sub.leader?.id === 'a');
    expect(a.region.isLeader).toBe(true);

    // A hostile peer: oversized and non-JSON frames die in the transport, bad messages in the node.
    net.inject({ id: 'mallory', addr: 'mem:mallory' }, 'a', new Uint8Array(100 * 1024));
    net.inject({ id: 'mallory', addr: 'mem:mallory' }, 'a', new TextEncoder().encode('{"v":'));
    net.inject({ id: 'mallory', addr: 'mem:mallory' }, 'a', new TextEncoder().encode('{"v":7,"t":"ping","nonce":1}'));
    await until(() => net.refused === 2 && a.stats.rejected === 1);

    const r = await new Promise<QueryResult>((res) => c.query({ vo: 'vo-b' }, 1, res));
    expect(r.hits.map((h) => h.node.id)).toEqual(['b']);
    const w = await new Promise<{ ok: boolean }>((res) => b.put('job/1', { x: 1 }, res));
    expect(w.ok).toBe(true);
    expect(a.sub.state!.kv['job/1']).toEqual({ x: 1 });
  });
});
