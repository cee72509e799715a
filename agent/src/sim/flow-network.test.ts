import { describe, expect, it } from 'vitest';
import { createFlowNetwork } from './flow-network.ts';
import { createRng } from './broker-experiments/rng.ts';

describe('flow network', () => {
  it('pays the route latency once, then streams at the link bandwidth', () => {
    const net = createFlowNetwork<string>();
    net.addLink('a', { bandwidth: 100, latency: 0.25 });
    net.addLink('b', { bandwidth: 1000, latency: 0.25 });
    net.start({ route: ['a', 'b'], bytes: 1000, tag: 'x' });
    expect(net.nextEventTime()).toBe(0.5);
    const done = net.advanceTo(100);
    expect(done).toEqual([{ id: 1, tag: 'x', at: 10.5 }]);
    expect(net.now()).toBe(100);
    expect(net.size()).toBe(0);
  });

  it('shares a link equally and gives the freed share to the flow that is left', () => {
    const net = createFlowNetwork<string>();
    net.addLink('l', { bandwidth: 100, latency: 0 });
    const a = net.start({ route: ['l'], bytes: 100, tag: 'a' });
    net.start({ route: ['l'], bytes: 300, tag: 'b' });
    expect(net.rate(a)).toBe(50);
    const done = net.advanceTo(10);
    // a: 100 B at 50 B/s → t=2; b then has 200 B left at 100 B/s → t=4.
    expect(done.map((d) => [d.tag, d.at])).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
  });

  it('computes max-min fair rates on a star: capped flows keep their cap, the rest split the uplink', () => {
    const net = createFlowNetwork<number>();
    net.addLink('up', { bandwidth: 100, latency: 0 });
    for (const [w, bw] of [['w1', 10], ['w2', 50], ['w3', 100]] as const) net.addLink(w, { bandwidth: bw, latency: 0 });
    const ids = ['w1', 'w2', 'w3'].map((w, i) => net.start({ route: ['up', w], bytes: 1e6, tag: i }));
    // w1 is capped at 10 by its own link; 90 is left on the uplink for two flows: 45 each.
    expect(ids.map((id) => net.rate(id))).toEqual([10, 45, 45]);
  });

  it('stalls flows on a link whose bandwidth drops to zero and resumes them when it returns', () => {
    const net = createFlowNetwork<string>();
    net.addLink('l', { bandwidth: 10, latency: 0 });
    const id = net.start({ route: ['l'], bytes: 100, tag: 'x' });
    net.advanceTo(5);
    net.setBandwidth('l', 0);
    expect(net.nextEventTime()).toBe(Infinity);
    expect(net.advanceTo(50)).toEqual([]);
    expect(net.remaining(id)).toBe(50);
    net.setBandwidth('l', 10);
    expect(net.advanceTo(100)).toEqual([{ id, tag: 'x', at: 55 }]);
  });

  it('cancels a transfer, reporting what it had left, and the others speed up', () => {
    const net = createFlowNetwork<string>();
    net.addLink('l', { bandwidth: 10, latency: 0 });
    const a = net.start({ route: ['l'], bytes: 100, tag: 'a' });
    const b = net.start({ route: ['l'], bytes: 100, tag: 'b' });
    net.advanceTo(4);
    expect(net.cancel(a)).toBe(80);
    expect(net.cancel(a)).toBeUndefined();
    expect(net.rate(b)).toBe(10);
    expect(net.advanceTo(20)).toEqual([{ id: b, tag: 'b', at: 12 }]);
  });

  it('rejects bad input with the field named', () => {
    const net = createFlowNetwork<string>();
    expect(() => net.addLink('l', { bandwidth: -1, latency: 0 })).toThrow(/bandwidth/);
    net.addLink('l', { bandwidth: 1, latency: 0 });
    expect(() => net.start({ route: ['nope'], bytes: 1, tag: '' })).toThrow(/unknown link nope/);
    expect(() => net.start({ route: [], bytes: 1, tag: '' })).toThrow(/at least one link/);
    expect(() => net.start({ route: ['l'], bytes: Number.NaN, tag: '' })).toThrow(/bytes/);
    expect(() => net.advanceTo(-1)).toThrow(/back in time/);
  });

  it('satisfies the max-min conditions on random networks', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = createRng(seed);
      const net = createFlowNetwork<number>();
      const nLinks = 3 + Math.floor(rng.next() * 8);
      const caps: number[] = [];
      for (let i = 0; i < nLinks; i++) {
        caps.push(rng.uniform(1, 100));
        net.addLink(`l${i}`, { bandwidth: caps[i]!, latency: 0 });
      }
      const routes: number[][] = [];
      const ids: number[] = [];
      for (let f = 0; f < 2 + Math.floor(rng.next() * 15); f++) {
        const route = [...new Set(Array.from({ length: 1 + Math.floor(rng.next() * 3) }, () => Math.floor(rng.next() * nLinks)))];
        routes.push(route);
        ids.push(net.start({ route: route.map((i) => `l${i}`), bytes: 1e6, tag: f }));
      }
      const rates = ids.map((id) => net.rate(id));
      const load = caps.map(() => 0);
      routes.forEach((r, f) => r.forEach((l) => (load[l]! += rates[f]!)));
      // Feasible: no link carries more than its bandwidth.
      load.forEach((x, l) => expect(x, `seed ${seed} link ${l}`).toBeLessThanOrEqual(caps[l]! * (1 + 1e-9)));
      // Fair: every flow has a saturated link on which no flow gets more than it does.
      routes.forEach((r, f) => {
        const bottleneck = r.some(
          (l) => load[l]! >= caps[l]! * (1 - 1e-9) && routes.every((r2, g) => !r2.includes(l) || rates[g]! <= rates[f]! * (1 + 1e-9)),
        );
        expect(bottleneck, `seed ${seed} flow ${f}`).toBe(true);
      });
    }
  });
});
