// Discovery: super-peer, then region peer (only to sub-grids whose aggregate can satisfy), then
// other regions; answers go straight to the requester; no leader handles a query twice.
import { beforeAll, describe, expect, it } from 'vitest';
import { issueInvite } from '../../agent/src/core/invite.ts';
import { createGridKey } from '../../agent/src/net/invite-crypto.ts';
import { SIM_EPOCH } from '../../agent/src/sim/world.ts';
import { bootAll, createTestGrid, signatures, type TestGrid, type TestNodeSpec } from './harness.ts';

// 2 regions × 2 sites × 4 nodes; every node serves vo-all and a VO of its own.
const specs: TestNodeSpec[] = [];
for (let r = 0; r < 2; r++) for (let s = 0; s < 2; s++) for (let i = 0; i < 4; i++) {
  const id = `r${r}s${s}n${i}`;
  specs.push({ id, region: r, site: r * 2 + s, vos: ['vo-all', `vo-${id}`], free: 0.2 + 0.1 * i, res: { cores: 4 + i } });
}
const ids = specs.map((s) => s.id);

interface Sent { from: string; to: string | null; t: string; qid: string; stage?: string }
let g: TestGrid;
let log: Sent[] = [];

beforeAll(async () => {
  const key = createGridKey();
  const invite = issueInvite({ grid: key.grid, gridKey: key.publicKey, vos: ['vo-all', ...ids.map((id) => `vo-${id}`)], node: '', issuedAt: SIM_EPOCH - 1, expiresAt: SIM_EPOCH + 86_400_000, nonce: 'd' }, key.privateKey, signatures);
  g = createTestGrid(specs.map((s) => ({ ...s, invite })), { key, seed: 11 });
  await bootAll(g, ids, 3_000, 20_000);
  g.world.onSend = (from, msg, to) => {
    const m = msg as { t: string; qid?: string; stage?: string };
    if (m.qid) log.push({ from: from.id, to, t: m.t, qid: m.qid, ...(m.stage ? { stage: m.stage } : {}) });
  };
});

async function ask(from: string, vo: string, count = 1) {
  log = [];
  const r = await g.query(from, { vo }, count);
  await g.run(3_000); // let stragglers show up, if any
  return r;
}

function noLeaderTwice() {
  const seen = new Set<string>();
  for (const s of log.filter((x) => x.t === 'query')) {
    const k = `${s.qid}|${s.to}|${s.stage}`;
    expect(seen.has(k), `query ${k} sent twice`).toBe(false);
    seen.add(k);
  }
}

const leaderOfSite = (site: number) => g.leaderOf(specs.filter((s) => s.site === site).map((s) => s.id))[0]!;

describe('resource discovery', () => {
  it('the grid formed one sub-grid per site and one region peer per region', () => {
    for (const site of [0, 1, 2, 3]) expect(leaderOfSite(site)).toBeDefined();
    const rps = ids.filter((id) => g.node(id).region.isLeader);
    expect(rps).toHaveLength(2);
  });

  it('the super-peer answers from its own members in two messages', async () => {
    const target = specs.find((s) => s.site === 0 && !g.node(s.id).sub.isLeader)!.id;
    const from = specs.find((s) => s.site === 0 && s.id !== target && !g.node(s.id).sub.isLeader)!.id;
    const r = await ask(from, `vo-${target}`);
    expect(r.hits.map((h) => h.node.id)).toEqual([target]);
    expect(r.duplicates).toBe(0);
    expect(log.map((s) => s.t)).toEqual(['query', 'query_hit']);
  });

  it('the region peer forwards only to the sub-grid that can satisfy the query', async () => {
    const target = 'r0s1n2';
    const from = specs.find((s) => s.site === 0 && !g.node(s.id).sub.isLeader)!.id;
    const r = await ask(from, `vo-${target}`);
    expect(r.hits.map((h) => h.node.id)).toEqual([target]);
    const toSubgrids = log.filter((s) => s.t === 'query' && s.stage === 'subgrid');
    expect(toSubgrids.map((s) => s.to)).toEqual([leaderOfSite(1).self.id]);
    expect(log.filter((s) => s.stage === 'remote')).toEqual([]);
    expect(log.length).toBeLessThanOrEqual(6);
    noLeaderTwice();
  });

  it('a query only another region can answer crosses once, and the answer comes straight back', async () => {
    const target = 'r1s1n1';
    const from = 'r0s0n0';
    const r = await ask(from, `vo-${target}`);
    expect(r.hits.map((h) => h.node.id)).toEqual([target]);
    expect(r.duplicates).toBe(0);
    expect(log.filter((s) => s.stage === 'remote')).toHaveLength(1);
    const hit = log.find((s) => s.t === 'query_hit')!;
    expect(hit.to).toBe(from);
    expect(hit.from).toBe(leaderOfSite(3).self.id);
    noLeaderTwice();
    expect(log.length).toBeLessThanOrEqual(12);
  });

  it('a query nobody can satisfy ends without loops: every leader asked at most once per attempt', async () => {
    const r = await ask('r1s0n3', 'vo-nobody');
    expect(r.hits).toEqual([]);
    noLeaderTwice();
    // Per attempt: requester→super-peer, super-peer→region peer, region peer→the other region peer, and its report back.
    const attempts = new Set(log.map((s) => s.qid)).size;
    expect(log.length).toBeLessThanOrEqual(attempts * 4);
    log = [];
    await g.run(10_000);
    expect(log).toEqual([]); // nothing keeps circulating
  });

  it('asks for several nodes: answers from several sub-grids, each node once', async () => {
    const r = await ask('r0s0n1', 'vo-all', 12);
    expect(r.hits.length).toBe(12);
    expect(new Set(r.hits.map((h) => h.node.id)).size).toBe(12);
    expect(r.duplicates).toBe(0);
    noLeaderTwice();
  });
});
