import type { JobRequirements, NodeDescription } from '../../../../contract/broker.ts';
import { availableFlops, eligible, type PlacementAlgorithm } from './algorithm.ts';

/**
 * Round robin (Chimera VDS and most homogeneous-cluster middleware): the next eligible candidate
 * after the one chosen last, in the order the candidates are listed. Blind to everything else.
 */
export function createRoundRobin(): PlacementAlgorithm {
  let cursor = 0;
  return {
    name: 'round-robin',
    choose(job, nodes) {
      const n = nodes.length;
      for (let k = 0; k < n; k++) {
        const i = (cursor + k) % n;
        if (eligible(job, nodes[i]!)) {
          cursor = i + 1;
          return i;
        }
      }
      return -1;
    },
  };
}

/**
 * FLOPS / ClassAds-style (HTCondor's `Rank = KFlops`, BOINC's FLOPS estimates): requirements are
 * constraints, and among the nodes that meet them the highest computing power wins, shared by the
 * jobs already there: rank = available FLOPS / (1 + jobs queued or running on the node).
 */
export function createFlopsRank(): PlacementAlgorithm {
  return {
    name: 'flops',
    choose(job, nodes) {
      let best = -1;
      let bestRank = -Infinity;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (!eligible(job, n)) continue;
        const rank = availableFlops(n) / (1 + n.queue.jobs);
        if (rank > bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      return best;
    },
  };
}

/**
 * NCDA, the paper's network compute and data aware algorithm: the node with the lowest estimated
 * completion time, (data queued + this job's data) / bandwidth + (work queued + this job's work) / FLOPS,
 * with the bandwidth measured from the requester at poll time.
 */
export function createNcda(): PlacementAlgorithm {
  return {
    name: 'ncda',
    choose(job, nodes) {
      let best = -1;
      let bestT = Infinity;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (!eligible(job, n)) continue;
        const t = ncdaEstimate(job, n);
        if (t < bestT) {
          bestT = t;
          best = i;
        }
      }
      return best;
    },
  };
}

export function ncdaEstimate(job: JobRequirements, n: NodeDescription): number {
  return (n.queue.bytes + job.inputBytes) / n.link.bandwidth + (n.queue.work + job.work) / availableFlops(n);
}
