import { describe, expect, it } from 'vitest';
import { createOwnerClassifier } from './owner-classifier.ts';

const opts = { busyPercent: 10, inputActiveSeconds: 5, quietMs: 30_000 };
const quiet = { cpuPercent: 2, idleSeconds: 600, fullscreen: null };

describe('owner classifier (injected clock)', () => {
  it('turns active at the first sample that sees owner CPU', () => {
    const c = createOwnerClassifier(opts, 0);
    expect(c.update(quiet, 1000).state).toBe('away');
    const v = c.update({ ...quiet, cpuPercent: 50 }, 2000);
    expect(v.state).toBe('active');
    expect(v.since).toBe(2000);
    expect(v.activeBecause).toMatch(/owner CPU 50%/);
  });

  it('input and full screen are activity too; unknown signals are not', () => {
    const c = createOwnerClassifier(opts, 0);
    expect(c.update({ cpuPercent: null, idleSeconds: null, fullscreen: null }, 1000).state).toBe('away');
    expect(c.update({ ...quiet, idleSeconds: 1 }, 2000).activeBecause).toMatch(/input/);
    const d = createOwnerClassifier(opts, 0);
    expect(d.update({ ...quiet, fullscreen: true }, 1000).state).toBe('active');
  });

  it('releases only after a whole quiet period, and a spike inside it restarts the wait', () => {
    const c = createOwnerClassifier(opts, 0);
    c.update({ ...quiet, cpuPercent: 80 }, 1000);
    for (let t = 2000; t < 31_000; t += 1000) expect(c.update(quiet, t).state).toBe('active');
    c.update({ ...quiet, cpuPercent: 40 }, 20_000); // spike
    expect(c.update(quiet, 31_000).state).toBe('active');
    expect(c.update(quiet, 49_000).state).toBe('active');
    const v = c.update(quiet, 50_000);
    expect(v.state).toBe('away');
    expect(v.since).toBe(50_000);
  });

  it('keeps the peak owner load for the quiet period, then lets it fall', () => {
    const c = createOwnerClassifier(opts, 0);
    c.update({ ...quiet, cpuPercent: 90 }, 1000);
    expect(c.update({ ...quiet, cpuPercent: 20 }, 2000).peakCpuPercent).toBe(90);
    expect(c.update({ ...quiet, cpuPercent: 20 }, 31_000).peakCpuPercent).toBe(90);
    expect(c.update({ ...quiet, cpuPercent: 20 }, 31_001).peakCpuPercent).toBe(20);
  });

  it('takes new tunables live', () => {
    const c = createOwnerClassifier(opts, 0);
    c.configure({ ...opts, busyPercent: 60 });
    expect(c.update({ ...quiet, cpuPercent: 50 }, 1000).state).toBe('away');
  });
});
