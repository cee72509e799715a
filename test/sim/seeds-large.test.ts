// The large end: 1000 nodes in 5 regions, same fault pattern as the small seeds.
import { describe, expect, it } from 'vitest';
import { describeFailure, faultLine, runSeed, seedCase } from './seed-run.ts';

describe('overlay simulation at 1000 nodes', () => {
  for (const seed of [1000, 1001]) {
    it(`seed ${seed}: 1000 nodes, 5 regions`, async () => {
      const c = seedCase(seed, 1000, 5);
      const r = await runSeed(c);
      console.log(faultLine(c, r));
      expect(r.faults.superPeerCrashes).toBeGreaterThanOrEqual(1);
      expect(r.faults.regionPeerCrashes).toBeGreaterThanOrEqual(1);
      expect(r.faults.heals).toBeGreaterThanOrEqual(1);
      expect(r.subgrids).toBeGreaterThanOrEqual(40);
      expect(r.violations, describeFailure(c, r)).toEqual([]);
    }, 180_000);
  }
});
