// Invites: signed by the grid key (Ed25519), expiring, naming grid and VOs; every refusal says why.
import { describe, expect, it } from 'vitest';
import { issueInvite, verifyInvite } from '../../agent/src/core/invite.ts';
import { createEd25519Signatures, createGridKey } from '../../agent/src/net/invite-crypto.ts';
import { SIM_EPOCH } from '../../agent/src/sim/world.ts';
import { bootAll, createTestGrid } from './harness.ts';

const sig = createEd25519Signatures();
const key = createGridKey();
const now = 1_800_000_000_000;
const body = { grid: key.grid, gridKey: key.publicKey, vos: ['vo-a'], node: '', issuedAt: now - 1000, expiresAt: now + 3_600_000, nonce: 'n1' };
const expect_ = { grid: key.grid, gridKey: key.publicKey, now, nodeId: 'node-1' };

describe('invites', () => {
  it('accepts a valid invite and returns its VOs', () => {
    const r = verifyInvite(issueInvite(body, key.privateKey, sig), expect_, sig);
    expect(r).toMatchObject({ ok: true, invite: { vos: ['vo-a'], grid: key.grid } });
  });

  it('refuses an expired invite', () => {
    const r = verifyInvite(issueInvite({ ...body, expiresAt: now - 1 }, key.privateKey, sig), expect_, sig);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
  });

  it('refuses an invite signed by another key (forged)', () => {
    const other = createGridKey();
    const r = verifyInvite(issueInvite(body, other.privateKey, sig), expect_, sig);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not verify/) });
  });

  it('refuses an altered body', () => {
    const inv = issueInvite(body, key.privateKey, sig);
    const [p, b, s] = inv.split('.');
    const changed = JSON.parse(atob(b!));
    changed.vos = ['vo-admin'];
    const r = verifyInvite(`${p}.${btoa(JSON.stringify(changed))}.${s}`, expect_, sig);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
  });

  it('refuses an invite for another grid, another node, or not an invite at all', () => {
    const other = createGridKey();
    expect(verifyInvite(issueInvite(body, key.privateKey, sig), { ...expect_, grid: other.grid }, sig)).toMatchObject({ ok: false, reason: expect.stringMatching(/for grid/) });
    expect(verifyInvite(issueInvite({ ...body, node: 'node-2' }, key.privateKey, sig), expect_, sig)).toMatchObject({ ok: false, reason: expect.stringMatching(/issued to node node-2/) });
    expect(verifyInvite('hello', expect_, sig)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a phantom invite/) });
    expect(verifyInvite('phantom1.!!!.x', expect_, sig)).toMatchObject({ ok: false, reason: expect.stringMatching(/base64 JSON/) });
  });

  it('nodes with bad invites are refused with the reason and never join', async () => {
    const gk = createGridKey();
    const forger = createGridKey();
    const inv = (o: { expiresAt?: number; k?: typeof gk } = {}) =>
      issueInvite({ grid: gk.grid, gridKey: gk.publicKey, vos: ['vo-a'], node: '', issuedAt: SIM_EPOCH - 1000, expiresAt: o.expiresAt ?? SIM_EPOCH + 86_400_000, nonce: 'n' }, (o.k ?? gk).privateKey, sig);
    const g = createTestGrid([
      { id: 'good1', site: 0, region: 0 },
      { id: 'good2', site: 0, region: 0 },
      { id: 'expired', site: 0, region: 0, invite: inv({ expiresAt: SIM_EPOCH - 1 }) },
      { id: 'forged', site: 0, region: 0, invite: inv({ k: forger }) },
      { id: 'greedy', site: 0, region: 0, vos: ['vo-a', 'vo-z'], invite: inv() },
    ], { key: gk });
    await bootAll(g, ['good1', 'good2']);
    for (const id of ['expired', 'forged', 'greedy']) g.boot(id);
    await g.run(5_000);
    const reasons = Object.fromEntries(g.refusals.map((r) => [r.id, r.reason]));
    expect(reasons.expired).toMatch(/expired/);
    expect(reasons.forged).toMatch(/signature does not verify/);
    expect(reasons.greedy).toMatch(/does not cover virtual organisation vo-z/);
    const leader = g.leaderOf(['good1', 'good2'])[0]!;
    expect(Object.keys(leader.sub.state!.members).sort()).toEqual(['good1', 'good2']);

    // A joiner that skips its own check is refused by the super-peer, which says why.
    const sent: unknown[] = [];
    g.world.onSend = (_from, msg) => sent.push(msg);
    const mallory = { id: 'mallory', addr: 'sim:mallory' };
    leader.receive(mallory, { v: 1, t: 'join', group: leader.sub.id, invite: inv({ k: forger }), score: 0.9, info: { kind: 'node', res: { cores: 64, memoryMiB: 1 << 20, flops: 1e13, diskMiB: 1e6, bandwidthMbps: 1e4 }, vos: ['vo-a'] } });
    await g.run(1_000);
    expect(sent).toContainEqual(expect.objectContaining({ t: 'join_refused', reason: expect.stringMatching(/signature/) }));
    expect(leader.sub.state!.members).not.toHaveProperty('mallory');
  });
});
