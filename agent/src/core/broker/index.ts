import type { AlgorithmName, PlacementAlgorithm } from './algorithm.ts';
import { createFlopsRank, createNcda, createRoundRobin } from './baselines.ts';
import { createOurs } from './ours.ts';

export * from './algorithm.ts';
export { createFlopsRank, createNcda, createRoundRobin, ncdaEstimate } from './baselines.ts';
export { createOurs } from './ours.ts';
export { createPoller } from './poller.ts';
export { createBroker, InvalidJobError } from './broker.ts';
export type { Broker, Placement } from './broker.ts';
export type { Poller, PollResult, ProbeTransport, PollerClock, PollerTimers } from './poller.ts';

/** A fresh instance of the named algorithm (round robin keeps a cursor, so never share one). */
export function createAlgorithm(name: AlgorithmName): PlacementAlgorithm {
  switch (name) {
    case 'round-robin':
      return createRoundRobin();
    case 'flops':
      return createFlopsRank();
    case 'ncda':
      return createNcda();
    case 'ours':
      return createOurs();
  }
}
