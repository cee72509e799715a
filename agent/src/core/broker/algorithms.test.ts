import { describe, expect, it } from 'vitest';
import { JobRequirements, NodeDescription, type JobRequirementsInput } from '../../../../contract/broker.ts';
import { createAlgorithm, createFlopsRank, createNcda, createOurs, createRoundRobin, type PlacementContext } from './index.ts';
import { execute, placeAll } from '../../sim/broker-experiments/paper.ts';
import { drawPlatform, type Platform } from '../../sim/broker-experiments/platform.ts';

const WEEK = 7 * 86400;
const ctx: PlacementContext = { uplinkBandwidth: 1e9, checkpointIntervalS: 600 };

interface NodeOpts {
  bw?: number;
  flops?: number;
  queue?: { jobs: number; bytes: number; work: number };
  load?: number;
  loadMean?: number;
  memoryMiB?: number;
  failures?: number;
  meanRepairS?: number;
}

function node(id: string, o: NodeOpts = {}): NodeDescription {
  return NodeDescription.parse({
    nodeId: id,
    freeCores: 1,
    flops: o.flops ?? 100,
    freeMemoryMiB: o.memoryMiB ?? 1024,
    freeDiskMiB: 1024,
    load: { current: o.load ?? 0, mean: o.loadMean ?? o.load ?? 0, trendPerHour: 0 },
    history: { observedS: WEEK, failures: o.failures ?? 0, meanRepairS: o.meanRepairS ?? 0, reclaims: 0, meanReclaimS: 0 },
    link: { bandwidth: o.bw ?? 100, rttS: 0 },
    queue: o.queue ?? { jobs: 0, bytes: 0, work: 0 },
  });
}

const job = (j: Omit<JobRequirementsInput, 'id'> & { id?: string }): JobRequirements => JobRequirements.parse({ id: 'j', ...j });

describe('round robin', () => {
  it('cycles through the candidates in order, skipping the ones that fail the requirements', () => {
    const rr = createRoundRobin();
    const nodes = [node('a'), node('b', { memoryMiB: 10 }), node('c')];
    const j = job({ work: 1, inputBytes: 0, memoryMiB: 512 });
    expect([0, 1, 2, 3].map(() => rr.choose(j, nodes, ctx))).toEqual([0, 2, 0, 2]);
    expect(rr.choose(job({ work: 1, inputBytes: 0, memoryMiB: 1e6 }), nodes, ctx)).toBe(-1);
  });
});

describe('FLOPS / ClassAds rank', () => {
  // rank = available FLOPS / (1 + jobs there): a 100/(1+0) = 100, b 300/(1+1) = 150, c 250/(1+0) = 250.
  const nodes = () => [node('a', { flops: 100 }), node('b', { flops: 300, queue: { jobs: 1, bytes: 0, work: 0 } }), node('c', { flops: 250 })];

  it('picks the highest speed per job already placed', () => {
    expect(createFlopsRank().choose(job({ work: 1e3, inputBytes: 1e9 }), nodes(), ctx)).toBe(2);
  });

  it('counts the owner load: c at 50% load ranks 125, below b', () => {
    const n = nodes();
    n[2] = node('c', { flops: 250, load: 0.5 });
    expect(createFlopsRank().choose(job({ work: 1e3, inputBytes: 0 }), n, ctx)).toBe(1);
  });

  it('treats requirements as constraints: minFlops 260 leaves only b', () => {
    expect(createFlopsRank().choose(job({ work: 1e3, inputBytes: 0, minFlops: 260 }), nodes(), ctx)).toBe(1);
  });
});

describe('NCDA', () => {
  // Job: 100 bytes, 1000 FLOP.
  //   a: 100/10 + 1000/1000 = 11     b: 100/100 + 1000/200 = 6     c: (200+100)/50 + 1000/1000 = 7
  const nodes = () => [node('a', { bw: 10, flops: 1000 }), node('b', { bw: 100, flops: 200 }), node('c', { bw: 50, flops: 1000, queue: { jobs: 1, bytes: 200, work: 0 } })];
  const j = job({ work: 1000, inputBytes: 100 });

  it('picks the lowest estimated completion, data and work both counted', () => {
    expect(createNcda().choose(j, nodes(), ctx)).toBe(1);
  });

  it('is where FLOPS goes wrong: FLOPS picks the fastest CPU behind the slowest link', () => {
    expect(createFlopsRank().choose(j, nodes(), ctx)).toBe(0);
  });
});

describe('ours', () => {
  it('makes NCDA’s choice when the uplink has room and the nodes are stable', () => {
    const nodes = [node('a', { bw: 10, flops: 1000 }), node('b', { bw: 100, flops: 200 }), node('c', { bw: 50, flops: 1000, queue: { jobs: 1, bytes: 200, work: 0 } })];
    expect(createOurs().choose(job({ work: 1000, inputBytes: 100 }), nodes, ctx)).toBe(1);
  });

  it('books the shared uplink: queues behind a transfer rather than halving both', () => {
    // Uplink 100 B/s, already carrying a's 1000 B at a's full 100 B/s. A new 1000 B job:
    //   NCDA: a (1000+1000)/100 = 20 s, b 1000/100 = 10 s → b.
    //   ours: on a, uplink demand stays 100 → σ = 1, cost 20.
    //         on b, demand 200 → σ = 2: own 2·10 = 20, plus a's queued transfer delayed by
    //         (2 − 1)·Z, Z = 10·(1+1)/2 = 10 → cost 30 → a.
    const small: PlacementContext = { uplinkBandwidth: 100, checkpointIntervalS: 600 };
    const nodes = [node('a', { bw: 100, queue: { jobs: 1, bytes: 1000, work: 0 } }), node('b', { bw: 100 })];
    const j = job({ work: 0, inputBytes: 1000 });
    expect(createNcda().choose(j, nodes, small)).toBe(1);
    expect(createOurs().choose(j, nodes, small)).toBe(0);
    // And the flow model agrees: one after the other on a finishes at 10 s and 20 s (sum 30);
    // side by side on a and b they share the uplink and both finish at 20 s (sum 40).
    const platform: Platform = {
      seed: 0,
      distribution: 'uniform',
      uplinkBandwidth: 100,
      workers: [
        { id: 'a', bandwidth: 100, flops: 1, latencyS: 0 },
        { id: 'b', bandwidth: 100, flops: 1, latencyS: 0 },
      ],
    };
    const jobs = [j, j];
    expect(execute(platform, jobs, [0, 0])).toEqual([10, 20]);
    expect(execute(platform, jobs, [0, 1])).toEqual([20, 20]);
  });

  it('charges the expected cost of failure: a flaky node must be more than 12.5% faster to win', () => {
    // 84 failures a week = one per 7200 s, repair 600 s, checkpoints every 600 s; a 1000 s job
    // loses on average 300 s of work + 600 s of repair per failure: risk = 900/7200 = 0.125.
    const flaky = { failures: 84, meanRepairS: 600 };
    const j = job({ work: 1e5, inputBytes: 0 });
    expect(createOurs().choose(j, [node('f', { ...flaky }), node('s')], ctx)).toBe(1); // 1125 vs 1000
    expect(createOurs().choose(j, [node('f', { ...flaky, flops: 120 }), node('s')], ctx)).toBe(0); // 937.5 vs 1000
    // NCDA does not see it.
    expect(createNcda().choose(j, [node('f', { ...flaky }), node('s')], ctx)).toBe(0);
  });

  it('forecasts load past its persistence with the node’s mean: a long job avoids a node idle only for now', () => {
    // 1e6 FLOP on 100 FLOPS. a: idle now (100 FLOPS for 600 s = 6e4 FLOP), then mean load 50%:
    // 600 + 9.4e5/50 = 19400 s. b: steady 30% load: 1e6/70 = 14286 s. NCDA sees only now: a = 10000 s.
    const nodes = [node('a', { load: 0, loadMean: 0.5 }), node('b', { load: 0.3 })];
    const j = job({ work: 1e6, inputBytes: 0 });
    expect(createOurs().choose(j, nodes, ctx)).toBe(1);
    expect(createNcda().choose(j, nodes, ctx)).toBe(0);
  });

  it('moves a job off a reclaimed machine only when waiting costs more', () => {
    const ours = createOurs();
    const nodes = [node('x', { bw: 100, flops: 100 })];
    const j = job({ work: 1000, inputBytes: 1000 }); // 10 s + 10 s elsewhere
    expect(ours.rescue!(j, { outageS: 1200, remainingS: 15 }, nodes, ctx)).toBe(0);
    expect(ours.rescue!(j, { outageS: 0, remainingS: 15 }, nodes, ctx)).toBe(-1);
    expect(createNcda().rescue).toBeUndefined();
  });
});

describe('all algorithms', () => {
  it('return -1 when no candidate meets the requirements, and never pick one that does not', () => {
    const nodes = [node('a', { memoryMiB: 10 }), node('b', { memoryMiB: 2048, flops: 1 })];
    for (const name of ['round-robin', 'flops', 'ncda', 'ours'] as const) {
      expect(createAlgorithm(name).choose(job({ work: 1, inputBytes: 0, memoryMiB: 4096 }), nodes, ctx), name).toBe(-1);
      expect(createAlgorithm(name).choose(job({ work: 1, inputBytes: 0, memoryMiB: 1024 }), nodes, ctx), name).toBe(1);
    }
  });

  it('FLOPS, NCDA and ours make the same choices for identical jobs without data (so the paper’s compute figure cannot separate them)', () => {
    // NCDA: argmin (n+1)·w/f = argmax f/(n+1), which is FLOPS's rank; ours adds nothing without data.
    for (const seed of [1, 2, 3]) {
      const platform = drawPlatform({ seed, workers: 60, distribution: 'log-uniform' });
      const jobs = Array.from({ length: 300 }, (_, k) => job({ id: `c${k}`, work: 1e9, inputBytes: 0 }));
      const f = placeAll('flops', platform, jobs, ctx);
      expect(placeAll('ncda', platform, jobs, ctx), `seed ${seed}`).toEqual(f);
      expect(placeAll('ours', platform, jobs, ctx), `seed ${seed}`).toEqual(f);
    }
  });
});

describe('schemas', () => {
  it('reject invalid job requirements naming each bad field', () => {
    const r = JobRequirements.safeParse({ id: 'x', work: -1, inputBytes: 'lots', cores: 1.5, extra: true });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.') || i.message);
    expect(paths).toEqual(expect.arrayContaining(['work', 'inputBytes', 'cores']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('reject invalid resource descriptions naming the nested field', () => {
    const good = node('a');
    const bad = { ...good, link: { bandwidth: 0, rttS: 0 }, load: { ...good.load, current: 1.5 } };
    const r = NodeDescription.safeParse(bad);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['link.bandwidth', 'load.current']));
    expect(r.error!.issues.find((i) => i.path.join('.') === 'link.bandwidth')!.message).toMatch(/link\.bandwidth must be > 0/);
  });
});
