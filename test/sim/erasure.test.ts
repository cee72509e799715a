// Erasure regeneration with the real @ronomon/reed-solomon codec: any k of k+m shards rebuild the
// state byte for byte; fewer than k do not.
import { describe, expect, it } from 'vitest';
import { chooseCode, emptyState, parseState, serializeState, stateHash } from '../../agent/src/core/group-state.ts';
import { fingerprint } from '../../agent/src/core/bytes.ts';
import { createReedSolomonCodec } from '../../agent/src/net/reed-solomon.ts';

const codec = createReedSolomonCodec();
const encode = (d: Uint8Array, k: number, m: number) => new Promise<Uint8Array[]>((res, rej) => codec.encode(d, k, m, (e, s) => (e ? rej(e) : res(s))));
const rebuild = (s: Array<Uint8Array | null>, k: number, m: number, len: number) => new Promise<Uint8Array>((res, rej) => codec.reconstruct(s, k, m, len, (e, d) => (e ? rej(e) : res(d))));

function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

function sampleState(members: number) {
  const s = emptyState('sg:test');
  for (let i = 0; i < members; i++) s.members[`n${i}`] = { addr: `sim:n${i}`, score: i / 100, info: { kind: 'node', res: { cores: 4, memoryMiB: 8192, flops: 1e11, diskMiB: 1000, bandwidthMbps: 1000 }, vos: ['vo-a'] } };
  for (let i = 0; i < 50; i++) s.kv[`job/${i}`] = { owner: `n${i % members}`, leaseUntil: 1_800_000_000_000 + i };
  s.version = 42;
  return s;
}

describe('erasure-coded state', () => {
  it('chooses k+m from the sub-grid size: everyone holds a shard up to 10, about a third parity', () => {
    expect(chooseCode(0)).toBeNull();
    expect(chooseCode(1)).toEqual({ k: 1, m: 0 });
    expect(chooseCode(2)).toEqual({ k: 1, m: 1 });
    expect(chooseCode(3)).toEqual({ k: 2, m: 1 });
    expect(chooseCode(6)).toEqual({ k: 4, m: 2 });
    expect(chooseCode(10)).toEqual({ k: 6, m: 4 });
    expect(chooseCode(500)).toEqual({ k: 6, m: 4 });
  });

  for (const n of [2, 3, 5, 8, 10]) {
    it(`rebuilds the exact state from every ${chooseCode(n)!.k}-of-${n} subset of shards`, async () => {
      const { k, m } = chooseCode(n)!;
      const st = sampleState(n + 1);
      const bytes = serializeState(st);
      const shards = await encode(bytes, k, m);
      expect(shards).toHaveLength(k + m);
      for (const keep of subsets(k + m, k)) {
        const partial = shards.map((s, i) => (keep.includes(i) ? s : null));
        const out = await rebuild(partial, k, m, bytes.length);
        expect(fingerprint(out)).toBe(fingerprint(bytes));
        expect(stateHash(parseState(out))).toBe(stateHash(st));
      }
    });
  }

  it('fails with fewer than k shards instead of inventing data', async () => {
    const bytes = serializeState(sampleState(6));
    const shards = await encode(bytes, 4, 2);
    await expect(rebuild([shards[0]!, null, null, shards[3]!, shards[4]!, null], 4, 2, bytes.length)).rejects.toThrow(/need 4 of 6/);
  });
});
