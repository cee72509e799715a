// The broker experiments end to end on small platforms: invariants that must hold for every seed
// (every job completes, no algorithm beats the physical lower bound, runs replay exactly), and the
// paper-experiment claims that hold by construction.
import { describe, expect, it } from 'vitest';
import { runPaperCell } from '../../agent/src/sim/broker-experiments/paper.ts';
import { runRealistic } from '../../agent/src/sim/broker-experiments/realistic.ts';

describe('paper experiment', () => {
  it('completes every job, replays exactly from its seed, and ours stays within 1% of the best baseline', () => {
    for (const seed of [1, 2]) {
      for (const category of ['compute', 'network', 'hybrid'] as const) {
        const a = runPaperCell({ category, workers: 40, distribution: 'uniform', seed, jobs: 200 });
        const b = runPaperCell({ category, workers: 40, distribution: 'uniform', seed, jobs: 200 });
        expect(b.outcomes.map((o) => o.meanCompletionS)).toEqual(a.outcomes.map((o) => o.meanCompletionS));
        for (const o of a.outcomes) {
          expect(o.completions.every((c) => Number.isFinite(c) && c > 0), `${o.algorithm} seed ${seed}`).toBe(true);
          expect(o.makespanS).toBe(Math.max(...o.completions));
        }
        const mean = Object.fromEntries(a.outcomes.map((o) => [o.algorithm, o.meanCompletionS]));
        const best = Math.min(mean['round-robin']!, mean.flops!, mean.ncda!);
        expect(mean.ours!, `${category} seed ${seed}`).toBeLessThanOrEqual(best * 1.01);
      }
    }
  });

  it('round robin spreads 1000 identical jobs one per worker over 1000 workers', () => {
    const r = runPaperCell({ category: 'compute', workers: 1000, distribution: 'uniform', seed: 3 }, ['round-robin']);
    expect(new Set(r.outcomes[0]!.placements).size).toBe(1000);
  });
});

describe('realistic experiment', () => {
  it('loses no job under failures and reclaims, and no algorithm beats the lower bound', () => {
    for (const seed of [1, 2]) {
      const outcomes = runRealistic({ seed, workers: 150, arrivalWindowS: 1200 });
      const jobs = outcomes[0]!.jobs;
      expect(jobs).toBeGreaterThan(50);
      for (const o of outcomes) {
        // runRealistic throws if a job is lost; every algorithm saw the same arrivals.
        expect(o.jobs, o.algorithm).toBe(jobs);
        expect(o.meanCompletionS, `${o.algorithm} seed ${seed}`).toBeGreaterThanOrEqual(o.lowerBoundMeanS);
        expect(o.makespanS).toBeGreaterThan(0);
      }
      expect(outcomes.find((o) => o.algorithm === 'ncda')!.moves).toBe(0);
    }
  });
});
