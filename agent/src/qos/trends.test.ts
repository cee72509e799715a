import { describe, expect, it } from 'vitest';
import { createTrendSet, leastSquaresSlope } from './trends.ts';

describe('trends', () => {
  it('fits the slope of a straight line exactly', () => {
    expect(leastSquaresSlope([0, 1, 2, 3], [1, 3, 5, 7], 4)).toBeCloseTo(2);
    expect(leastSquaresSlope([0], [5], 1)).toBe(0);
  });

  it('short average follows a step quickly, long average slowly, slope sees the rise', () => {
    const t = createTrendSet<string>({ shortSeconds: 2, longSeconds: 60, slopeSamples: 4 });
    for (let s = 0; s < 10; s++) t.update('p', 0, s * 1000);
    let tr = t.update('p', 100, 10_000);
    expect(tr.slope).toBeGreaterThan(0);
    for (let s = 11; s < 14; s++) tr = t.update('p', 100, s * 1000);
    expect(tr.short).toBeGreaterThan(80);
    expect(tr.long).toBeLessThan(10);
    expect(tr.slope).toBe(0); // the last 4 samples are flat
    expect(tr.last).toBe(100);
    expect(tr.samples).toBe(14);
  });

  it('a late sample weighs for the time it covers', () => {
    const a = createTrendSet<number>({ shortSeconds: 5, longSeconds: 60, slopeSamples: 2 });
    const b = createTrendSet<number>({ shortSeconds: 5, longSeconds: 60, slopeSamples: 2 });
    a.update(1, 0, 0);
    b.update(1, 0, 0);
    expect(a.update(1, 50, 10_000).short).toBeGreaterThan(b.update(1, 50, 1_000).short);
  });

  it('forgets keys that are gone', () => {
    const t = createTrendSet<number>();
    t.update(1, 1, 0);
    t.update(2, 1, 0);
    t.retain((k) => k === 2);
    expect(t.size).toBe(1);
    expect(t.get(1)).toBeUndefined();
    expect(() => createTrendSet({ shortSeconds: 1, longSeconds: 2, slopeSamples: 1 })).toThrow(/slopeSamples/);
  });
});
