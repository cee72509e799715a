import { describe, expect, it } from 'vitest';
import { createCheckpointPolicy, type CheckpointPolicyConfig } from './checkpoint-policy.ts';

const HOUR = 3_600_000;
const manualClock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};
const config: Partial<CheckpointPolicyConfig> = { w: 0.6, minIntervalMs: 10_000, maxIntervalMs: HOUR, halfLifeMs: 24 * HOUR, initialCostMs: 1000, exportEvery: 3, exportMinGapMs: 60_000 };

describe('checkpoint interval policy', () => {
  it('applies I_n = W·I_{n-1} + (1−W)·I_{n-2} with the proposal as the newest term', () => {
    const clock = manualClock();
    const p = createCheckpointPolicy({ clock, config });
    // No history yet: the first interval is the proposal itself (the maximum on a quiet machine).
    expect(p.nextIntervalMs()).toBe(HOUR);
    for (let i = 0; i < 6; i++) {
      clock.advance(10 * 60_000);
      p.recordEvent('failure');
    }
    const prev = p.state().intervals.at(-1)!;
    const proposed = p.proposedIntervalMs();
    expect(proposed).toBeLessThan(prev);
    expect(p.nextIntervalMs()).toBeCloseTo(0.6 * proposed + 0.4 * prev, 6);
    const prev2 = p.state().intervals.at(-1)!;
    expect(p.nextIntervalMs()).toBeCloseTo(0.6 * proposed + 0.4 * prev2, 6);
    expect(p.state().intervals).toHaveLength(2);
  });

  it('W = 1 follows the proposal at once, W = 0 never moves', () => {
    for (const w of [0, 1]) {
      const clock = manualClock();
      const p = createCheckpointPolicy({ clock, config: { ...config, w } });
      const first = p.nextIntervalMs();
      for (let i = 0; i < 10; i++) p.recordEvent('reclaim');
      clock.advance(HOUR);
      const next = p.nextIntervalMs();
      if (w === 1) expect(next).toBe(p.proposedIntervalMs());
      else expect(next).toBe(first);
    }
  });

  it('shrinks the interval as failures and reclaims accumulate, down to the minimum', () => {
    const clock = manualClock();
    const p = createCheckpointPolicy({ clock, config: { ...config, w: 1 } });
    const seen: number[] = [p.nextIntervalMs()];
    for (let i = 0; i < 8; i++) {
      // The rate of events keeps rising: each quarter hour brings more of them than the last.
      clock.advance(15 * 60_000);
      for (let k = 0; k <= i; k++) p.recordEvent(k % 2 ? 'failure' : 'reclaim');
      seen.push(p.nextIntervalMs());
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeLessThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)!).toBeLessThan(seen[0]! / 4);
    for (let i = 0; i < 500; i++) p.recordEvent('failure');
    expect(p.nextIntervalMs()).toBe(10_000);
  });

  it('grows the interval again while the machine stays stable', () => {
    const clock = manualClock();
    const p = createCheckpointPolicy({ clock, config });
    for (let i = 0; i < 20; i++) {
      clock.advance(5 * 60_000);
      p.recordEvent('failure');
    }
    const unstable = p.nextIntervalMs();
    const seen = [unstable];
    for (let day = 0; day < 10; day++) {
      clock.advance(24 * HOUR);
      seen.push(p.nextIntervalMs());
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)!).toBeGreaterThan(unstable * 3);
    expect(seen.at(-1)!).toBeLessThanOrEqual(HOUR);
  });

  it('takes checkpoints more often when they are cheap (Young: √(2·C·MTBF))', () => {
    const clock = manualClock();
    const cheap = createCheckpointPolicy({ clock, config });
    const dear = createCheckpointPolicy({ clock, config });
    for (const p of [cheap, dear]) for (let i = 0; i < 5; i++) p.recordEvent('failure');
    clock.advance(HOUR);
    cheap.recordCost(200);
    dear.recordCost(5000);
    expect(cheap.proposedIntervalMs()).toBeLessThan(dear.proposedIntervalMs());
    const mtbfMs = HOUR / cheap.instabilityPerHour();
    expect(cheap.proposedIntervalMs()).toBeCloseTo(Math.min(HOUR, Math.max(10_000, Math.sqrt(2 * 200 * mtbfMs))), 3);
  });

  it('keeps the recorded instability across an agent restart and drops a state that does not validate', () => {
    const clock = manualClock();
    const p = createCheckpointPolicy({ clock, config });
    for (let i = 0; i < 6; i++) {
      clock.advance(10 * 60_000);
      p.recordEvent('failure');
    }
    p.nextIntervalMs();
    const saved = JSON.parse(JSON.stringify(p.state()));
    const restarted = createCheckpointPolicy({ clock, config, state: saved });
    expect(restarted.instabilityPerHour()).toBeCloseTo(p.instabilityPerHour(), 9);
    expect(restarted.proposedIntervalMs()).toBeCloseTo(p.proposedIntervalMs(), 6);
    expect(restarted.state().intervals).toEqual(p.state().intervals);
    const fresh = createCheckpointPolicy({ clock, config, state: { ...saved, score: -5 } });
    expect(fresh.instabilityPerHour()).toBe(0);
  });

  it('exports less often than it checkpoints, every k-th and never closer than the minimum gap', () => {
    const clock = manualClock();
    const p = createCheckpointPolicy({ clock, config });
    let checkpoints = 0;
    const exportsAt: number[] = [];
    for (let i = 0; i < 40; i++) {
      clock.advance(i < 20 ? 10_000 : 40_000);
      checkpoints++;
      if (p.onCheckpointTaken().export) exportsAt.push(clock.now());
    }
    expect(exportsAt.length).toBeGreaterThan(0);
    expect(exportsAt.length).toBeLessThan(checkpoints / 2);
    for (let i = 1; i < exportsAt.length; i++) expect(exportsAt[i]! - exportsAt[i - 1]!).toBeGreaterThanOrEqual(60_000);
  });

  it('refuses a bad site policy, naming the field', () => {
    const clock = manualClock();
    expect(() => createCheckpointPolicy({ clock, config: { w: 1.5 } })).toThrow(/w/);
    expect(() => createCheckpointPolicy({ clock, config: { exportEvery: 1 } })).toThrow(/exportEvery/);
    expect(() => createCheckpointPolicy({ clock, config: { minIntervalMs: 10, maxIntervalMs: 5 } })).toThrow(/minIntervalMs/);
  });
});
