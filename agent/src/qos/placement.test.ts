import { describe, expect, it } from 'vitest';
import { createPlacement } from './placement.ts';

describe('guest thread placement', () => {
  const p = () => createPlacement(() => ({ busyPercent: 50, quietMs: 10_000 }));

  it('moves guests off the owner\'s core at once and gives it back only after the quiet period', () => {
    const pl = p();
    expect(pl.update([0, 1, 2, 3], [0, 0, 0, 0], 0)).toEqual([0, 1, 2, 3]);
    expect(pl.update([0, 1, 2, 3], [90, 5, 0, 0], 1000)).toEqual([1, 2, 3]);
    expect(pl.update([0, 1, 2, 3], [0, 0, 0, 0], 5000)).toEqual([1, 2, 3]);
    expect(pl.update([0, 1, 2, 3], [0, 0, 0, 0], 11_000)).toEqual([0, 1, 2, 3]);
  });

  it('with the owner on every allowed core, keeps the guests on the least used one', () => {
    expect(p().update([0, 1], [95, 60], 0)).toEqual([1]);
  });

  it('owner away: every allowed core, and the memory of busy cores is dropped', () => {
    const pl = p();
    pl.update([0, 1], [90, 0], 0);
    expect(pl.update([0, 1], null, 1000)).toEqual([0, 1]);
    expect(pl.update([0, 1], [0, 0], 2000)).toEqual([0, 1]);
  });
});
