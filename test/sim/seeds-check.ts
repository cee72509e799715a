import { expect, it } from 'vitest';
import { describeFailure, faultLine, runSeed, seedCase } from './seed-run.ts';

/** Registers one test per seed: faults happened, every invariant held. */
export function seedTests(from: number, to: number, sizes: readonly number[]): void {
  for (let seed = from; seed < to; seed++) {
    const c = seedCase(seed, sizes[seed % sizes.length]!, 2 + (seed % 2));
    it(`seed ${seed}: ${c.nodes} nodes, ${c.regions} regions`, async () => {
      const r = await runSeed(c);
      console.log(faultLine(c, r));
      expect(r.faults.superPeerCrashes, `seed ${seed}: no super-peer crashed`).toBeGreaterThanOrEqual(1);
      expect(r.faults.regionPeerCrashes, `seed ${seed}: no region peer crashed`).toBeGreaterThanOrEqual(1);
      expect(r.faults.heals, `seed ${seed}: no partition healed`).toBeGreaterThanOrEqual(1);
      expect(r.stableChecks, `seed ${seed}: invariants never checked`).toBeGreaterThan(0);
      expect(r.violations, describeFailure(c, r)).toEqual([]);
    });
  }
}
