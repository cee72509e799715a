import { JobRequirements, describeIssues, type JobRequirementsInput, type NodeDescription } from '../../../../contract/broker.ts';
import type { CoreLog } from '../log.ts';
import type { PlacementAlgorithm, PlacementContext } from './algorithm.ts';
import type { Poller } from './poller.ts';

export class InvalidJobError extends Error {
  readonly detail: string;
  constructor(detail: string) {
    super(`invalid job requirements: ${detail}`);
    this.detail = detail;
    this.name = 'InvalidJobError';
  }
}

export type Placement =
  | { readonly nodeId: string; readonly description: NodeDescription; readonly polled: number; readonly answered: number }
  | { readonly nodeId: null; readonly reason: string; readonly polled: number; readonly answered: number };

export interface Broker {
  /** Validates the job, polls the candidates within the deadline and picks one (or says why none). */
  place(job: JobRequirementsInput, candidates: readonly string[]): Promise<Placement>;
}

/** The decision path the agent uses: validate → poll (deadline) → algorithm. */
export function createBroker(deps: {
  algorithm: PlacementAlgorithm;
  poller: Poller;
  context: PlacementContext;
  log: CoreLog;
  pollDeadlineMs?: number;
}): Broker {
  const deadline = deps.pollDeadlineMs ?? 500;
  return {
    async place(input, candidates) {
      const parsed = JobRequirements.safeParse(input);
      if (!parsed.success) throw new InvalidJobError(describeIssues(parsed.error));
      const job = parsed.data;
      const poll = await deps.poller.poll(candidates, deadline);
      const base = { polled: candidates.length, answered: poll.descriptions.length };
      const i = deps.algorithm.choose(job, poll.descriptions, deps.context);
      if (i < 0) {
        const reason = poll.descriptions.length === 0 ? 'no candidate answered before the deadline' : 'no candidate meets the job requirements';
        deps.log.info({ job: job.id, ...base, algorithm: deps.algorithm.name }, `broker: no placement (${reason})`);
        return { nodeId: null, reason, ...base };
      }
      const description = poll.descriptions[i]!;
      deps.log.debug({ job: job.id, node: description.nodeId, ...base, algorithm: deps.algorithm.name }, 'broker: placed');
      return { nodeId: description.nodeId, description, ...base };
    },
  };
}
