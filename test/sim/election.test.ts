// Elections and self-healing of one sub-grid: bully on the availability score, terms, regeneration
// of the exact state from shards, handover to a better machine, and one leader after a split heals.
import { describe, expect, it } from 'vitest';
import { stateHash } from '../../agent/src/core/group-state.ts';
import { bootAll, createTestGrid } from './harness.ts';

const lan = (n: number, free: (i: number) => number = (i) => 0.2 + 0.1 * i) =>
  Array.from({ length: n }, (_, i) => ({ id: `n${i}`, site: 0, region: 0, free: free(i) }));

describe('sub-grid election and failover', () => {
  it('elects the most available machine and regenerates the exact state after it crashes', async () => {
    const specs = lan(6);
    const g = createTestGrid(specs);
    const ids = specs.map((s) => s.id);
    await bootAll(g, ids);
    const [leader, ...rest] = g.leaderOf(ids);
    expect(rest).toEqual([]);
    // n5 has the most free resources: it founded or was handed the sub-grid.
    expect(leader!.self.id).toBe('n5');
    for (let i = 0; i < 5; i++) expect(await g.put(`n${i}`, `job/${i}`)).toBe(true);
    await g.run(1_000);
    const before = structuredClone(leader!.sub.state!);
    const termBefore = leader!.sub.term;
    g.crash('n5');
    await g.run(3_000);
    const [next, ...others] = g.leaderOf(ids.filter((id) => id !== 'n5'));
    expect(others).toEqual([]);
    expect(next!.self.id).toBe('n4'); // the next best ranked holder
    expect(next!.sub.term).toBeGreaterThan(termBefore);
    // Same state, minus the dead leader's own registration (the successor drops it).
    const expected = structuredClone(before);
    delete expected.members.n5;
    const got = structuredClone(next!.sub.state!);
    expect(got.kv).toEqual(expected.kv);
    expect(Object.keys(got.members).sort()).toEqual(Object.keys(expected.members).sort());
    expect(got.version).toBeGreaterThanOrEqual(before.version);
    // Every member follows the new leader.
    for (const id of ['n0', 'n1', 'n2', 'n3']) expect(g.node(id).sub.leader?.id).toBe('n4');
  });

  it('the successor rebuilds the committed state byte for byte (equal hashes)', async () => {
    const specs = lan(5);
    const g = createTestGrid(specs, { seed: 3 });
    const ids = specs.map((s) => s.id);
    await bootAll(g, ids);
    const leader = g.leaderOf(ids)[0]!;
    await g.put('n0', 'job/a');
    await g.run(2_000);
    const committedHash = leader.sub.committedMeta!.hash;
    // Nothing changed since the last commit: the leader's state is byte for byte the committed one.
    expect(stateHash(leader.sub.state!)).toBe(committedHash);
    g.crash(leader.self.id);
    const mark = g.ready.length;
    await g.run(3_000);
    const next = g.leaderOf(ids)[0]!;
    expect(next).toBeDefined();
    const elected = g.ready.slice(mark).find((r) => r.tier === 'subgrid' && r.how === 'elected');
    expect(elected?.id).toBe(next.self.id);
    expect(elected?.hash).toBe(committedHash);
  });

  it('a better machine joining takes over without losing state', async () => {
    const specs = [...lan(4, () => 0.2), { id: 'big', site: 0, region: 0, free: 1 }];
    const g = createTestGrid(specs, { seed: 5 });
    const small = ['n0', 'n1', 'n2', 'n3'];
    await bootAll(g, small);
    const first = g.leaderOf(small)[0]!;
    for (const id of small) expect(await g.put(id, `job/${id}`)).toBe(true);
    g.boot('big');
    await g.run(10_000);
    const all = [...small, 'big'];
    const leaders = g.leaderOf(all);
    expect(leaders.map((l) => l.self.id)).toEqual(['big']);
    expect(leaders[0]!.sub.term).toBeGreaterThan(first.sub.term === 0 ? 0 : 1);
    for (const id of small) expect(leaders[0]!.sub.state!.kv).toHaveProperty(`job/${id}`);
  });

  it('after a partition heals exactly one leader acts, and writes from both sides survive', async () => {
    const specs = lan(6);
    const g = createTestGrid(specs, { seed: 9 });
    const ids = specs.map((s) => s.id);
    await bootAll(g, ids);
    const old = g.leaderOf(ids)[0]!;
    // Cut the leader and one member off from the rest.
    const cut = [old.self.id, 'n0'];
    for (const id of cut) g.slots.get(id)!.label = 1;
    await g.run(5_000);
    const leaders = g.leaderOf(ids);
    expect(leaders.length).toBe(2);
    const other = leaders.find((l) => l !== old)!;
    expect(other.sub.term).toBeGreaterThan(old.sub.term);
    expect(await g.put('n0', 'job/minority')).toBe(true);
    expect(await g.put('n1', 'job/majority')).toBe(true);
    for (const id of cut) g.slots.get(id)!.label = 0;
    await g.run(40_000); // announcements every 15 s find the two leaders
    const after = g.leaderOf(ids);
    expect(after.length).toBe(1);
    expect(after[0]!.sub.state!.kv).toHaveProperty('job/minority');
    expect(after[0]!.sub.state!.kv).toHaveProperty('job/majority');
    for (const id of ids) if (g.node(id) !== after[0]) expect(g.node(id).sub.leader?.id).toBe(after[0]!.self.id);
  });
});
