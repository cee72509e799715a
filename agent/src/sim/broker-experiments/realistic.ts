import type { JobRequirements, NodeDescription } from '../../../../contract/broker.ts';
import { ALGORITHMS, createAlgorithm, type AlgorithmName, type PlacementAlgorithm, type PlacementContext } from '../../core/broker/index.ts';
import { createFlowNetwork } from '../flow-network.ts';
import { EventQueue } from './event-queue.ts';
import { CATEGORIES, categoryJob, GIGA } from './paper.ts';
import { drawPlatform, type Platform } from './platform.ts';
import { createRng, type Rng } from './rng.ts';
import { createCheckpointPolicy, type CheckpointPolicy } from '../../core/checkpoint-policy.ts';

/**
 * The realistic experiment (issue 7, item 4): the paper's uniform 1000-worker platform, but machines
 * fail and come back, owners reclaim them, owner load changes, and jobs arrive over six hours.
 * Every parameter below was fixed before ours was tuned; every algorithm gets the same
 * checkpointing and restart.
 */
export const REALISTIC = {
  stableShare: 0.7,
  stableMtbfS: 48 * 3600,
  flakyMtbfS: 2 * 3600,
  repairMeanS: 10 * 60,
  reclaimEveryS: 4 * 3600,
  reclaimMeanS: 20 * 60,
  loadMax: 0.5,
  loadPeriodS: 10 * 60,
  utilization: 0.7,
  arrivalWindowS: 6 * 3600,
  /** The broker's planning figure; machines checkpoint by the adaptive policy (core/checkpoint-policy.ts). */
  checkpointIntervalS: 10 * 60,
  /** What one checkpoint costs the guest (measured: QMP stop + migrate to file ≈ 0.41 s). */
  checkpointCostS: 0.5,
  /** How much history a node reports about itself when the run starts. */
  historyS: 7 * 86400,
} as const;

export interface RealisticSpec {
  readonly seed: number;
  readonly workers?: number;
  /** Shortens the arrival window (tests); the bench always uses the full six hours. */
  readonly arrivalWindowS?: number;
}

export interface RealisticOutcome {
  readonly algorithm: AlgorithmName;
  readonly jobs: number;
  readonly meanCompletionS: number;
  readonly makespanS: number;
  readonly failures: number;
  readonly reclaims: number;
  readonly lostWorkFlop: number;
  readonly moves: number;
  /** Mean completion per category. */
  readonly byCategory: Record<string, number>;
  /**
   * No algorithm can beat this: each job alone on the worker that would finish it soonest, with no
   * owner load, no outage and no queue. Same arrivals for every algorithm, so the same bound.
   */
  readonly lowerBoundMeanS: number;
}

interface JobRec {
  /** What is left to do: a moved job sends its input again and resumes from its checkpoint. */
  req: JobRequirements;
  readonly category: string;
  readonly arrival: number;
  finish: number;
}

/** Arrival rate: `utilization` of what the binding resource (uplink or total CPU) can serve for the mix. */
export function arrivalRate(platform: Platform): number {
  const share = 1 / CATEGORIES.length;
  const bytesPerJob = 2 * share * GIGA; // network and hybrid
  const flopPerJob = 2 * share * GIGA; // compute and hybrid
  const sumBw = platform.workers.reduce((s, w) => s + w.bandwidth, 0);
  const meanLoad = REALISTIC.loadMax / 2;
  const availability = availableShare();
  const sumFlops = platform.workers.reduce((s, w) => s + w.flops, 0) * (1 - meanLoad) * availability;
  const capacity = Math.min(Math.min(platform.uplinkBandwidth, sumBw * availability) / bytesPerJob, sumFlops / flopPerJob);
  return REALISTIC.utilization * capacity;
}

/** Long-run share of time a machine is neither failed nor reclaimed. */
function availableShare(): number {
  const r = REALISTIC;
  const mtbf = r.stableShare * r.stableMtbfS + (1 - r.stableShare) * r.flakyMtbfS;
  const up = mtbf / (mtbf + r.repairMeanS);
  return up * (r.reclaimEveryS / (r.reclaimEveryS + r.reclaimMeanS));
}

export function runRealistic(spec: RealisticSpec, algorithms: readonly AlgorithmName[] = ALGORITHMS): RealisticOutcome[] {
  return algorithms.map((a) => runOne(spec, a, createAlgorithm(a)));
}

/** Runs one algorithm instance (e.g. an ablated variant of ours) under a given label. */
export function runRealisticWith(spec: RealisticSpec, label: AlgorithmName, algorithm: PlacementAlgorithm): RealisticOutcome {
  return runOne(spec, label, algorithm);
}

type Ev =
  | { kind: 'arrival' }
  | { kind: 'fail' | 'repair' | 'reclaim' | 'release'; node: number }
  | { kind: 'load' }
  | { kind: 'wake'; node: number; version: number };

interface NodeState {
  readonly flaky: boolean;
  up: boolean;
  reclaimed: boolean;
  load: number;
  readonly queue: number[];
  phase: 'idle' | 'transfer' | 'compute';
  flow: number;
  /** Remaining FLOP of the current job at `since`, and at its last checkpoint. */
  work: number;
  since: number;
  rate: number;
  checkpointWork: number;
  nextCheckpoint: number;
  version: number;
  /** Bytes and FLOP of queued jobs not yet started. */
  waitingBytes: number;
  waitingWork: number;
  failures: number;
  reclaims: number;
  /** Outages that have ended, and their total length: the history's mean repair and reclaim times. */
  repairs: number;
  repairSum: number;
  releases: number;
  reclaimSum: number;
  outageStart: number;
  reclaimStart: number;
  readonly desc: NodeDescription;
  readonly checkpoints: CheckpointPolicy;
}

function runOne(spec: RealisticSpec, algorithmName: AlgorithmName, algorithm: PlacementAlgorithm): RealisticOutcome {
  const r = REALISTIC;
  const platform = drawPlatform({ seed: spec.seed, workers: spec.workers ?? 1000, distribution: 'uniform' });
  // Separate streams, so every algorithm sees the same machines, failures, reclaims, loads and arrivals.
  const root = createRng(spec.seed * 7919 + 17);
  const nodeRng: Rng[] = platform.workers.map((_, i) => root.fork(i));
  const arrivalRng = root.fork(1_000_003);
  const window = spec.arrivalWindowS ?? r.arrivalWindowS;
  const ctx: PlacementContext = { uplinkBandwidth: platform.uplinkBandwidth, checkpointIntervalS: r.checkpointIntervalS };

  const net = createFlowNetwork<number>();
  net.addLink('uplink', { bandwidth: platform.uplinkBandwidth, latency: 0 });
  const events = new EventQueue<Ev>();
  let now = 0;
  const policyClock = { now: () => (r.historyS + now) * 1000 };

  const nodes: NodeState[] = platform.workers.map((w, i) => {
    net.addLink(w.id, { bandwidth: w.bandwidth, latency: w.latencyS });
    const rng = nodeRng[i]!;
    const flaky = rng.next() >= r.stableShare;
    const mtbf = flaky ? r.flakyMtbfS : r.stableMtbfS;
    // The history the node reports: a week observed under the same processes.
    const failures = poisson(rng, r.historyS / mtbf);
    const reclaims = poisson(rng, r.historyS / r.reclaimEveryS);
    let repairSum = 0;
    for (let k = 0; k < failures; k++) repairSum += rng.exponential(r.repairMeanS);
    let reclaimSum = 0;
    for (let k = 0; k < reclaims; k++) reclaimSum += rng.exponential(r.reclaimMeanS);
    events.push(rng.exponential(mtbf), { kind: 'fail', node: i });
    // Every machine checkpoints by the agent's adaptive policy, seeded with its week of history
    // (the decayed event count of a steady rate is rate × half-life / ln 2).
    const halfLifeMs = 24 * 3600_000;
    const checkpoints = createCheckpointPolicy({
      clock: policyClock,
      state: {
        version: 1,
        score: ((failures + reclaims) / r.historyS) * (halfLifeMs / 1000 / Math.LN2),
        scoreAtMs: r.historyS * 1000,
        observedSinceMs: 0,
        costMs: r.checkpointCostS * 1000,
        intervals: [],
        checkpointsSinceExport: 0,
        lastExportAtMs: null,
      },
    });
    events.push(rng.exponential(r.reclaimEveryS), { kind: 'reclaim', node: i });
    return {
      flaky,
      up: true,
      reclaimed: false,
      load: rng.uniform(0, r.loadMax),
      queue: [],
      phase: 'idle',
      flow: 0,
      work: 0,
      since: 0,
      rate: 0,
      checkpointWork: 0,
      nextCheckpoint: Infinity,
      version: 0,
      waitingBytes: 0,
      waitingWork: 0,
      failures,
      reclaims,
      repairs: failures,
      repairSum,
      releases: reclaims,
      reclaimSum,
      outageStart: 0,
      reclaimStart: 0,
      checkpoints,
      desc: {
        nodeId: w.id,
        freeCores: 1,
        flops: w.flops,
        freeMemoryMiB: 4096,
        freeDiskMiB: 10240,
        load: { current: 0, mean: r.loadMax / 2, trendPerHour: 0 },
        history: { observedS: r.historyS, failures: 0, meanRepairS: 0, reclaims: 0, meanReclaimS: 0 },
        link: { bandwidth: Math.min(w.bandwidth, platform.uplinkBandwidth), rttS: 2 * w.latencyS },
        queue: { jobs: 0, bytes: 0, work: 0 },
      },
    };
  });

  const jobs: JobRec[] = [];
  const lambda = arrivalRate(platform);
  let nextArrival = arrivalRng.exponential(1 / lambda);
  if (nextArrival < window) events.push(nextArrival, { kind: 'arrival' });
  events.push(r.loadPeriodS, { kind: 'load' });
  let completed = 0;
  let lostWork = 0;
  let failureCount = 0;
  let moves = 0;
  let reclaimCount = 0;

  const available = (n: NodeState): boolean => n.up && !n.reclaimed;
  const meanRepair = (n: NodeState): number => (n.repairs > 0 ? n.repairSum / n.repairs : 0);
  const meanReclaim = (n: NodeState): number => (n.releases > 0 ? n.reclaimSum / n.releases : 0);

  const settleCompute = (n: NodeState): void => {
    if (n.phase === 'compute') n.work = Math.max(0, n.work - n.rate * (now - n.since));
    n.since = now;
  };

  /** (Re)plans the computing node's next wake-up: completion or checkpoint, whichever comes first. */
  const scheduleCompute = (i: number): void => {
    const n = nodes[i]!;
    n.version++;
    if (n.phase !== 'compute' || !available(n)) {
      n.rate = 0;
      return;
    }
    n.rate = platform.workers[i]!.flops * (1 - n.load);
    const done = now + n.work / n.rate;
    events.push(Math.min(done, n.nextCheckpoint), { kind: 'wake', node: i, version: n.version });
  };

  const startNext = (i: number): void => {
    const n = nodes[i]!;
    if (n.phase !== 'idle' || n.queue.length === 0 || !available(n)) return;
    const job = jobs[n.queue[0]!]!.req;
    n.waitingBytes -= job.inputBytes;
    n.waitingWork -= job.work;
    n.work = job.work;
    n.checkpointWork = job.work;
    if (job.inputBytes > 0) {
      n.phase = 'transfer';
      n.flow = net.start({ route: ['uplink', platform.workers[i]!.id], bytes: job.inputBytes, tag: i });
    } else startCompute(i);
  };

  const startCompute = (i: number): void => {
    const n = nodes[i]!;
    n.phase = 'compute';
    n.since = now;
    n.nextCheckpoint = now + n.checkpoints.nextIntervalMs() / 1000;
    scheduleCompute(i);
  };

  const finishJob = (i: number): void => {
    const n = nodes[i]!;
    const j = n.queue.shift()!;
    jobs[j]!.finish = now;
    completed++;
    n.phase = 'idle';
    n.nextCheckpoint = Infinity;
    n.version++;
    startNext(i);
  };

  const setAvailability = (i: number, before: boolean): void => {
    const n = nodes[i]!;
    const after = available(n);
    if (before === after) return;
    net.setBandwidth(platform.workers[i]!.id, after ? platform.workers[i]!.bandwidth : 0);
    if (after) {
      if (n.phase === 'compute') n.nextCheckpoint = now + n.checkpoints.nextIntervalMs() / 1000;
      n.since = now;
      scheduleCompute(i);
      startNext(i);
    } else {
      settleCompute(n);
      scheduleCompute(i);
    }
  };

  const describe = (n: NodeState): NodeDescription => {
    const d = n.desc;
    d.freeCores = n.reclaimed ? 0 : 1;
    d.load.current = n.load;
    d.history.failures = n.failures;
    d.history.reclaims = n.reclaims;
    d.history.meanRepairS = meanRepair(n);
    d.history.meanReclaimS = meanReclaim(n);
    d.history.observedS = r.historyS + now;
    let bytes = n.waitingBytes;
    let work = n.waitingWork;
    if (n.phase === 'transfer') {
      bytes += net.remaining(n.flow);
      work += n.work;
    } else if (n.phase === 'compute') work += Math.max(0, n.work - n.rate * (now - n.since));
    d.queue.jobs = n.queue.length;
    d.queue.bytes = bytes;
    d.queue.work = work;
    return d;
  };

  const candidates: NodeDescription[] = [];
  const candidateIdx: number[] = [];
  const poll = (): void => {
    // Failed machines do not answer the poll; reclaimed ones answer with no free core.
    candidates.length = 0;
    candidateIdx.length = 0;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!n.up) continue;
      candidates.push(describe(n));
      candidateIdx.push(i);
    }
  };

  const enqueue = (i: number, j: number): void => {
    const n = nodes[i]!;
    const req = jobs[j]!.req;
    n.queue.push(j);
    n.waitingBytes += req.inputBytes;
    n.waitingWork += req.work;
    startNext(i);
  };

  /** The machine went away: offer each of its jobs to the algorithm, which may move it or let it wait. */
  const rescue = (i: number, outageS: number): void => {
    if (!algorithm.rescue) return;
    const n = nodes[i]!;
    const w = platform.workers[i]!;
    const f = w.flops * (1 - r.loadMax / 2);
    let aheadS = 0;
    for (const j of [...n.queue]) {
      const rec = jobs[j]!;
      const head = n.queue[0] === j && n.phase !== 'idle';
      const leftBytes = head && n.phase === 'transfer' ? net.remaining(n.flow) : head ? 0 : rec.req.inputBytes;
      const leftWork = head ? n.work : rec.req.work;
      const remainingS = aheadS + leftBytes / w.bandwidth + leftWork / f;
      const moved: JobRequirements = { ...rec.req, work: head ? n.checkpointWork : rec.req.work };
      poll();
      const c = algorithm.rescue(moved, { outageS, remainingS }, candidates, ctx);
      const target = c >= 0 ? candidateIdx[c] : undefined;
      if (target === undefined || target === i) {
        aheadS = remainingS;
        continue;
      }
      if (head) {
        if (n.phase === 'transfer') net.cancel(n.flow);
        n.phase = 'idle';
        n.nextCheckpoint = Infinity;
        n.version++;
      } else {
        n.waitingBytes -= rec.req.inputBytes;
        n.waitingWork -= rec.req.work;
      }
      n.queue.splice(n.queue.indexOf(j), 1);
      rec.req = moved;
      moves++;
      enqueue(target, j);
    }
  };

  let k = 0;
  const arrive = (): void => {
    const category = CATEGORIES[Math.floor(arrivalRng.next() * CATEGORIES.length)]!;
    const req = categoryJob(category, `${category}-${k++}`);
    const j = jobs.length;
    jobs.push({ req, category, arrival: now, finish: Number.NaN });
    poll();
    let c = algorithm.choose(req, candidates, ctx);
    // Every machine down or reclaimed at once: the job waits in the first queue that will come back.
    if (c < 0) c = 0;
    enqueue(candidateIdx[c] ?? 0, j);
  };

  for (;;) {
    // Failures and reclaims go on for ever: the run ends when the last arrived job is done.
    if (nextArrival >= window && completed === jobs.length) break;
    const t = Math.min(events.peekTime(), net.nextEventTime());
    if (t === Infinity) break;
    now = t;
    for (const done of net.advanceTo(t)) {
      const n = nodes[done.tag]!;
      if (n.phase === 'transfer') startCompute(done.tag);
    }
    while (events.peekTime() <= t) {
      const ev = events.pop()!.item;
      switch (ev.kind) {
        case 'arrival': {
          arrive();
          nextArrival += arrivalRng.exponential(1 / lambda);
          if (nextArrival < window) events.push(nextArrival, { kind: 'arrival' });
          break;
        }
        case 'load': {
          for (let i = 0; i < nodes.length; i++) {
            const n = nodes[i]!;
            n.load = nodeRng[i]!.uniform(0, r.loadMax);
            if (n.phase === 'compute' && available(n)) {
              settleCompute(n);
              scheduleCompute(i);
            }
          }
          if (completed < jobs.length || now < window) events.push(now + r.loadPeriodS, { kind: 'load' });
          break;
        }
        case 'wake': {
          const n = nodes[ev.node]!;
          if (ev.version !== n.version) break;
          settleCompute(n);
          if (n.work <= 1e-6 * GIGA * 1e-6 || n.work / Math.max(n.rate, 1e-12) < 1e-9 * Math.max(1, now)) finishJob(ev.node);
          else {
            if (now >= n.nextCheckpoint) {
              // The guest pauses while its state is written: that time is lost to the job.
              n.checkpointWork = n.work;
              n.work += n.rate * r.checkpointCostS;
              n.checkpoints.onCheckpointTaken();
              n.nextCheckpoint = now + n.checkpoints.nextIntervalMs() / 1000;
            }
            scheduleCompute(ev.node);
          }
          break;
        }
        case 'fail': {
          const n = nodes[ev.node]!;
          const before = available(n);
          const rng = nodeRng[ev.node]!;
          if (n.up) {
            settleCompute(n);
            if (n.phase === 'compute') {
              lostWork += n.checkpointWork - n.work;
              n.work = n.checkpointWork;
            }
            n.up = false;
            n.failures++;
            n.checkpoints.recordEvent('failure');
            failureCount++;
            n.outageStart = now;
            setAvailability(ev.node, before);
            events.push(now + rng.exponential(r.repairMeanS), { kind: 'repair', node: ev.node });
            rescue(ev.node, meanRepair(n));
          }
          break;
        }
        case 'repair': {
          const n = nodes[ev.node]!;
          const before = available(n);
          n.up = true;
          n.repairs++;
          n.repairSum += now - n.outageStart;
          setAvailability(ev.node, before);
          events.push(now + nodeRng[ev.node]!.exponential(n.flaky ? r.flakyMtbfS : r.stableMtbfS), { kind: 'fail', node: ev.node });
          break;
        }
        case 'reclaim': {
          const n = nodes[ev.node]!;
          const before = available(n);
          n.reclaimed = true;
          n.reclaimStart = now;
          n.checkpoints.recordEvent('reclaim');
          n.reclaims++;
          reclaimCount++;
          const hold = nodeRng[ev.node]!.exponential(r.reclaimMeanS);
          // The VM host checkpoints the guest when the owner takes the machine back: nothing is lost.
          settleCompute(n);
          if (n.phase === 'compute') n.checkpointWork = n.work;
          setAvailability(ev.node, before);
          events.push(now + hold, { kind: 'release', node: ev.node });
          rescue(ev.node, meanReclaim(n));
          break;
        }
        case 'release': {
          const n = nodes[ev.node]!;
          const before = available(n);
          n.reclaimed = false;
          n.releases++;
          n.reclaimSum += now - n.reclaimStart;
          setAvailability(ev.node, before);
          events.push(now + nodeRng[ev.node]!.exponential(r.reclaimEveryS), { kind: 'reclaim', node: ev.node });
          break;
        }
      }
    }
  }

  if (completed !== jobs.length) throw new Error(`${algorithmName}: ${jobs.length - completed} jobs lost (seed ${spec.seed})`);
  const fastest = new Map<string, number>();
  for (const c of CATEGORIES) {
    const job = categoryJob(c, c);
    fastest.set(c, Math.min(...platform.workers.map((w) => w.latencyS + job.inputBytes / Math.min(w.bandwidth, platform.uplinkBandwidth) + job.work / w.flops)));
  }
  let bound = 0;
  let sum = 0;
  let makespan = 0;
  const byCat: Record<string, { sum: number; n: number }> = {};
  for (const j of jobs) {
    const c = j.finish - j.arrival;
    bound += fastest.get(j.category)!;
    sum += c;
    makespan = Math.max(makespan, j.finish);
    const b = (byCat[j.category] ??= { sum: 0, n: 0 });
    b.sum += c;
    b.n++;
  }
  return {
    algorithm: algorithmName,
    jobs: jobs.length,
    meanCompletionS: sum / jobs.length,
    makespanS: makespan,
    failures: failureCount,
    reclaims: reclaimCount,
    lostWorkFlop: lostWork,
    moves,
    byCategory: Object.fromEntries(Object.entries(byCat).map(([c, b]) => [c, b.sum / b.n])),
    lowerBoundMeanS: bound / jobs.length,
  };
}

/** Knuth's method; the means here are small (≤ ~100). */
function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
