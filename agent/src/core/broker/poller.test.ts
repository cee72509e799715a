import { describe, expect, it } from 'vitest';
import type { NodeDescription } from '../../../../contract/broker.ts';
import { createBroker, createNcda, createPoller, InvalidJobError, type ProbeTransport } from './index.ts';
import type { CoreLog } from '../log.ts';

/** Virtual clock and timers: time moves only when the test says so. */
function virtualTime() {
  let now = 0;
  const pending: { at: number; fn: () => void; dead: boolean }[] = [];
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return {
    clock: { now: () => now },
    timers: {
      set(ms: number, fn: () => void) {
        const e = { at: now + ms, fn, dead: false };
        pending.push(e);
        return { cancel: () => void (e.dead = true) };
      },
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        await flush();
        const due = pending.filter((e) => !e.dead && e.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        due.dead = true;
        due.fn();
      }
      now = end;
      await flush();
    },
  };
}

const silent: CoreLog = { debug() {}, info() {}, warn() {}, error() {} };

function description(id: string, over: Partial<NodeDescription> = {}): Omit<NodeDescription, 'link'> & { link?: NodeDescription['link'] } {
  return {
    nodeId: id,
    freeCores: 2,
    flops: 1e8,
    freeMemoryMiB: 2048,
    freeDiskMiB: 4096,
    load: { current: 0, mean: 0, trendPerHour: 0 },
    history: { observedS: 86400, failures: 0, meanRepairS: 0, reclaims: 0, meanReclaimS: 0 },
    link: { bandwidth: 1e6, rttS: 0.01 },
    queue: { jobs: 0, bytes: 0, work: 0 },
    ...over,
  };
}

/** Each node answers after its delay (ms), never (dead), or with what `reply` gives. */
function fakeTransport(t: ReturnType<typeof virtualTime>, behaviour: Record<string, { delayMs: number | 'never'; reply: unknown }>) {
  const measured: string[] = [];
  const transport: ProbeTransport = {
    describe(id) {
      const b = behaviour[id];
      if (!b) return Promise.reject(new Error(`no route to ${id}`));
      if (b.delayMs === 'never') return new Promise(() => {});
      const delay = b.delayMs;
      return new Promise((resolve) => t.timers.set(delay, () => resolve(b.reply)));
    },
    measureLink(id) {
      measured.push(id);
      return new Promise((resolve) => t.timers.set(20, () => resolve({ bandwidth: 5e5, rttS: 0.02 })));
    },
  };
  return { transport, measured };
}

describe('broker poller', () => {
  it('answers at the deadline with the nodes that replied, skipping slow, dead and malformed ones', async () => {
    const t = virtualTime();
    const { link: _omit, ...noLink } = description('e');
    const { transport, measured } = fakeTransport(t, {
      a: { delayMs: 10, reply: description('a') },
      b: { delayMs: 900, reply: description('b') },
      c: { delayMs: 'never', reply: null },
      d: { delayMs: 5, reply: { ...description('d'), flops: -3 } },
      e: { delayMs: 30, reply: noLink },
    });
    const poller = createPoller({ transport, clock: t.clock, timers: t.timers, log: silent });
    let result: Awaited<ReturnType<typeof poller.poll>> | undefined;
    void poller.poll(['a', 'b', 'c', 'd', 'e'], 200).then((r) => (result = r));
    await t.advance(199);
    expect(result).toBeUndefined();
    await t.advance(1);
    expect(result!.elapsedMs).toBe(200);
    expect(result!.descriptions.map((d) => d.nodeId)).toEqual(['a', 'e']);
    expect(result!.timedOut).toEqual(['b', 'c']);
    expect(result!.rejected).toEqual([{ nodeId: 'd', error: expect.stringMatching(/^flops: flops must be > 0/) }]);
    // e left its link out: the poller measured it.
    expect(measured).toEqual(['e']);
    expect(result!.descriptions[1]!.link).toEqual({ bandwidth: 5e5, rttS: 0.02 });
  });

  it('answers as soon as every node has replied, and reuses a link measurement while it is fresh', async () => {
    const t = virtualTime();
    const { link: _omit, ...noLink } = description('a');
    const { transport, measured } = fakeTransport(t, { a: { delayMs: 5, reply: noLink } });
    const poller = createPoller({ transport, clock: t.clock, timers: t.timers, log: silent, linkCacheMs: 1000 });
    const first = poller.poll(['a'], 500);
    await t.advance(100);
    expect((await first).elapsedMs).toBe(25);
    const second = poller.poll(['a'], 500);
    await t.advance(100);
    expect((await second).descriptions).toHaveLength(1);
    expect(measured).toEqual(['a']);
    await t.advance(1000);
    const third = poller.poll(['a'], 500);
    await t.advance(100);
    await third;
    expect(measured).toEqual(['a', 'a']);
  });

  it('rejects a reply that names another node', async () => {
    const t = virtualTime();
    const { transport } = fakeTransport(t, { a: { delayMs: 1, reply: description('z') } });
    const poller = createPoller({ transport, clock: t.clock, timers: t.timers, log: silent });
    const p = poller.poll(['a'], 50);
    await t.advance(50);
    expect((await p).rejected[0]!.error).toMatch(/nodeId/);
  });
});

describe('broker', () => {
  it('still decides when the best node is too slow to answer, choosing among those that did', async () => {
    const t = virtualTime();
    const { transport } = fakeTransport(t, {
      fast: { delayMs: 900, reply: description('fast', { link: { bandwidth: 1e8, rttS: 0.001 } }) },
      ok: { delayMs: 10, reply: description('ok', { link: { bandwidth: 1e6, rttS: 0.01 } }) },
      slow: { delayMs: 20, reply: description('slow', { link: { bandwidth: 1e4, rttS: 0.01 } }) },
    });
    const poller = createPoller({ transport, clock: t.clock, timers: t.timers, log: silent });
    const broker = createBroker({ algorithm: createNcda(), poller, context: { uplinkBandwidth: 1e9, checkpointIntervalS: 600 }, log: silent, pollDeadlineMs: 100 });
    const p = broker.place({ id: 'j', work: 1e9, inputBytes: 1e8 }, ['fast', 'ok', 'slow']);
    await t.advance(100);
    expect(await p).toMatchObject({ nodeId: 'ok', polled: 3, answered: 2 });
  });

  it('says why when nothing fits, and refuses invalid requirements before polling anyone', async () => {
    const t = virtualTime();
    const { transport } = fakeTransport(t, { a: { delayMs: 1, reply: description('a') } });
    const poller = createPoller({ transport, clock: t.clock, timers: t.timers, log: silent });
    const broker = createBroker({ algorithm: createNcda(), poller, context: { uplinkBandwidth: 1e9, checkpointIntervalS: 600 }, log: silent, pollDeadlineMs: 50 });
    const p = broker.place({ id: 'j', work: 1, inputBytes: 0, memoryMiB: 1e6 }, ['a']);
    await t.advance(50);
    expect(await p).toMatchObject({ nodeId: null, reason: 'no candidate meets the job requirements' });
    await expect(broker.place({ id: 'j', work: -5, inputBytes: 0 }, ['a'])).rejects.toThrow(InvalidJobError);
    await expect(broker.place({ id: 'j', work: -5, inputBytes: 0 }, ['a'])).rejects.toThrow(/work: work \(FLOP\) must be ≥ 0/);
  });
});
