// Agents on a LAN made of network namespaces (bridge in its own namespace, addresses by DHCP) find
// each other by multicast alone, form one sub-grid, and a node started later joins its super-peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { createNetnsLan, type NetnsLan } from '../support/netns.ts';
import { bundleFixture } from './fixtures/bundle.ts';
import { createEd25519Signatures, createGridKey } from '../../agent/src/net/invite-crypto.ts';
import { issueInvite } from '../../agent/src/core/invite.ts';
import { collectJsonLines } from '../support/json-lines.ts';

const fixtureSource = fileURLToPath(new URL('./fixtures/overlay-peer.ts', import.meta.url));
let fixture = '';

interface Line { ev: string; [k: string]: unknown }
interface Peer { ns: string; ip: string; proc: ChildProcess; lines: Line[]; stderr: () => string; id: () => string | undefined }

let lan: NetnsLan;
const peers: Peer[] = [];

const key = createGridKey();
const signatures = createEd25519Signatures();
const now = Date.now();
const invite = issueInvite({ grid: key.grid, gridKey: key.publicKey, vos: ['vo-a'], node: '', issuedAt: now, expiresAt: now + 3_600_000, nonce: randomBytes(8).toString('hex') }, key.privateKey, signatures);

function startPeer(i: number, free: number): Peer {
  const { ns, ip } = lan.nodes[i]!;
  const config = { grid: key.grid, gridKey: key.publicKey, invite, region: 'lab', free, mdnsIntervalMs: 500, waitForPeersMs: 3000,
    // Every namespace is one hop on one bridge: they belong in one sub-grid even when this shared
    // machine is so busy that a round trip takes longer than the LAN default (20 ms), and a first
    // dial + noise handshake longer than the default wait for announcements (600 ms), and a process
    // can be starved for longer than the default failure suspicion (700 ms).
    rttThresholdMs: 1000, solicitMs: 3000, suspectMs: 4000 };
  const proc = lan.spawnIn(ns, process.execPath, [fixture, JSON.stringify(config)]);
  const lines = collectJsonLines<Line>(proc.stdout!);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const peer: Peer = { ns, ip, proc, lines, stderr: () => err, id: () => lines.find((l) => l.ev === 'ready')?.id as string | undefined };
  peers.push(peer);
  return peer;
}

const lastStatus = (p: Peer) => p.lines.findLast((l) => l.ev === 'status');

async function until(cond: () => boolean, what: string, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    const dead = peers.find((p) => p.proc.exitCode !== null);
    if (dead) throw new Error(`peer in ${dead.ns} exited (${dead.proc.exitCode}) while waiting for ${what}:\n${dead.stderr().slice(-2000)}`);
    if (Date.now() > deadline) {
      const events = peers.map((p) => `${p.ns}: ${p.lines.filter((l) => l.ev !== 'mdns').slice(-8).map((l) => JSON.stringify(l)).join('\n  ')}`);
      throw new Error(`timed out waiting for ${what}; recent events:\n${events.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  fixture = await bundleFixture(fixtureSource);
  lan = await createNetnsLan({ nodes: 4 });
});

afterAll(async () => {
  await Promise.all(peers.map((p) => new Promise<void>((resolve) => {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) return resolve();
    const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
    p.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.proc.kill('SIGTERM');
  })));
  lan?.destroy();
  if (fixture) rmSync(fixture, { force: true });
});

describe('LAN of network namespaces', () => {
  it('got every node a DHCP address on one subnet, and no namespace shares the host\'s interfaces', () => {
    const ips = lan.nodes.map((n) => n.ip);
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(ip).toMatch(/^10\.77\.0\.\d+$/);
    for (const n of lan.nodes) {
      const links = lan.execIn(n.ns, 'ip', ['-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]);
      expect(links.sort()).toEqual(['eth0', 'lo']);
    }
  });

  it('finds peers by mDNS with no address configured, forms one sub-grid, and a later node joins its super-peer', async () => {
    // The freest machine should win the election; the others are clearly worse.
    const first = [startPeer(0, 0.9), startPeer(1, 0.3), startPeer(2, 0.3)];
    await until(() => first.every((p) => p.id()), 'three peers ready');

    // Each finds the other two by multicast, at their DHCP addresses (never loopback).
    await until(() => first.every((p) => first.filter((q) => q !== p).every((q) => p.lines.some((l) => l.ev === 'mdns' && l.peer === q.id()))), 'mDNS discovery among three');
    for (const p of first) {
      for (const q of first.filter((x) => x !== p)) {
        const found = p.lines.find((l) => l.ev === 'mdns' && l.peer === q.id())!;
        expect(found.addrs).toContain(`/ip4/${q.ip}/tcp/${(found.addrs as string[])[0]!.split('/')[4]}/p2p/${q.id()}`);
        expect((found.addrs as string[]).some((a) => a.includes('/127.'))).toBe(false);
      }
    }

    // One super-peer, the others members of its sub-grid.
    const settled = (group: Peer[]) => {
      const s = group.map(lastStatus);
      const leaders = s.filter((x) => x?.isLeader);
      return leaders.length === 1 && s.every((x) => x?.group === leaders[0]!.group && (x?.isLeader || (x?.phase === 'member' && x?.leader === group[s.indexOf(leaders[0])]!.id())));
    };
    // Whoever founded first, leadership ends with the most available machine.
    const leader = first[0]!;
    await until(() => settled(first) && lastStatus(leader)!.isLeader === true, 'one sub-grid led by the freest node');
    const group = lastStatus(leader)!.group;

    // A node started later learns of the current super-peer by multicast and ends in its sub-grid.
    // (Normally it joins at once; on a starved machine it may found a sub-grid before the answer
    // arrives, which then merges into this one: the end state is what is asserted.)
    const late = startPeer(3, 0.3);
    await until(() => settled([...first, late]) && lastStatus(leader)!.isLeader === true && lastStatus(late)!.leader === leader.id(), 'four nodes in the sub-grid of the current super-peer');
    expect(lastStatus(late)).toMatchObject({ phase: 'member', group: lastStatus(leader)!.group });
    const joined = late.lines.find((l) => l.ev === 'joined');
    console.log(JSON.stringify({ lateNode: joined?.group === group ? 'joined the existing sub-grid directly' : 'merged into it' }));
    for (const p of [...first, late]) expect(lastStatus(p)!.rejected).toBe(0);
    // Starting four Node processes is most of this; on a shared 2-core machine it can take a while.
  }, 150_000);
});
