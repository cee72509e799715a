// The schedule with a manual clock and timers. The guest here is a stand-in behind `Checkpointable`;
// the real Vm behind the same interface is exercised in test/vm/checkpoint.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { createCheckpointPolicy, type CheckpointPolicyState } from '../core/checkpoint-policy.ts';
import { createCheckpointStore } from './checkpoint-store.ts';
import { createCheckpointScheduler, type Checkpointable } from './checkpoint-scheduler.ts';
import type { CheckpointResult } from './vm.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function harness(failEvery = 0) {
  let now = 0;
  const queue: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  const timers = {
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      queue.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h: unknown) => {
      const i = queue.findIndex((q) => q.id === h);
      if (i >= 0) queue.splice(i, 1);
    },
  };
  const clock = { now: () => now };
  const delays: number[] = [];
  let calls = 0;
  const guest: Checkpointable = {
    alive: true,
    async checkpoint(): Promise<CheckpointResult> {
      calls++;
      if (failEvery && calls % failEvery === 0) throw new Error('disk full');
      return { meta: { seq: calls } as CheckpointResult['meta'], path: `/x/${calls}`, totalMs: 800, pauseMs: 20, downtimeMs: 5 };
    },
  };
  const advance = async () => {
    queue.sort((a, b) => a.at - b.at);
    const next = queue.shift();
    if (!next) return false;
    delays.push(next.at - now);
    now = next.at;
    next.fn();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    return true;
  };
  const dir = mkdtempSync(join(tmpdir(), 'pgsched-'));
  dirs.push(dir);
  return { timers, clock, guest, advance, delays, queue, store: createCheckpointStore({ dir }), setNow: (t: number) => (now = t) };
}

describe('checkpoint scheduler', () => {
  it('checkpoints at the policy intervals, feeds cost back, exports less often, persists state', async () => {
    const h = harness();
    const policy = createCheckpointPolicy({ clock: h.clock, config: { minIntervalMs: 1000, maxIntervalMs: 600_000, exportEvery: 3, exportMinGapMs: 0 } });
    const exported: number[] = [];
    const saved: CheckpointPolicyState[] = [];
    const s = createCheckpointScheduler({ log: silentLogger(), policy, guest: h.guest, store: h.store, jobId: 'j', timers: h.timers, onExport: (c) => void exported.push(c.meta.seq), persist: (st) => saved.push(st) });
    s.start();
    for (let i = 0; i < 9; i++) expect(await h.advance()).toBe(true);
    expect(s.counts.taken).toBe(9);
    expect(exported).toEqual([3, 6, 9]);
    expect(policy.state().costMs).toBe(800);
    expect(saved.length).toBeGreaterThanOrEqual(18);
    // A quiet machine: every interval is the policy's maximum.
    expect(h.delays.every((d) => d === 600_000)).toBe(true);
    s.stop();
    expect(h.queue).toEqual([]);
  });

  it('checkpoints more often once the machine has been unstable', async () => {
    const h = harness();
    const policy = createCheckpointPolicy({ clock: h.clock, config: { w: 1, minIntervalMs: 1000, maxIntervalMs: 600_000 } });
    const s = createCheckpointScheduler({ log: silentLogger(), policy, guest: h.guest, store: h.store, jobId: 'j', timers: h.timers });
    s.start();
    await h.advance();
    for (let i = 0; i < 10; i++) policy.recordEvent('failure');
    await h.advance();
    await h.advance();
    expect(h.delays.at(-1)!).toBeLessThan(h.delays[0]!);
    s.stop();
  });

  it('keeps going after a failed checkpoint', async () => {
    const h = harness(2);
    const policy = createCheckpointPolicy({ clock: h.clock, config: { minIntervalMs: 1000, maxIntervalMs: 5000 } });
    const s = createCheckpointScheduler({ log: silentLogger(), policy, guest: h.guest, store: h.store, jobId: 'j', timers: h.timers });
    s.start();
    for (let i = 0; i < 6; i++) await h.advance();
    expect(s.counts).toEqual({ taken: 3, exported: 0, failed: 3 });
    expect(h.queue.length).toBe(1);
    s.stop();
  });
});
