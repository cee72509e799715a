import { z } from 'zod';
import { NodeDescription, describeIssues } from '../../../../contract/broker.ts';
import type { CoreLog } from '../log.ts';

/**
 * Polls candidate nodes for their live resource descriptions, all at once, and answers at the
 * deadline with whatever arrived: a node that is slow or dead is skipped, never waited for, so a
 * decision is always made on time. Replies are validated; a malformed one is counted and logged.
 *
 * Sans-IO: the transport (the overlay's request/response, or the simulator's), the clock and the
 * timers are injected. A reply may carry the link measurement itself; if it does not, the poller
 * measures the link through the transport and keeps the figure for `linkCacheMs`, because a timed
 * transfer costs far more than the poll.
 */
export interface ProbeTransport {
  /** Ask a node for its description (the `link` field may be left out). */
  describe(nodeId: string): Promise<unknown>;
  /** A short timed transfer from this node to `nodeId`: bytes/s and round-trip seconds. */
  measureLink(nodeId: string): Promise<{ bandwidth: number; rttS: number }>;
}

/** Structurally the same as the overlay's Clock and Timers (agent/src/net/transport.ts). */
export interface PollerClock {
  now(): number;
}
export interface PollerTimers {
  set(ms: number, fn: () => void): { cancel(): void };
}

export interface PollResult {
  /** Valid replies that arrived before the deadline, in the order the candidates were given. */
  readonly descriptions: NodeDescription[];
  /** Candidates that had not answered by the deadline. */
  readonly timedOut: string[];
  /** Candidates whose reply failed validation or whose transport call failed, with why. */
  readonly rejected: { nodeId: string; error: string }[];
  /** Milliseconds from the start of the poll to the answer. */
  readonly elapsedMs: number;
}

export interface Poller {
  poll(nodeIds: readonly string[], deadlineMs: number): Promise<PollResult>;
}

const Reply = NodeDescription.extend({ link: NodeDescription.shape.link.optional() });
const LinkMeasurement = NodeDescription.shape.link;

export function createPoller(deps: {
  transport: ProbeTransport;
  clock: PollerClock;
  timers: PollerTimers;
  log: CoreLog;
  linkCacheMs?: number;
}): Poller {
  const { transport, clock, timers, log } = deps;
  const linkCacheMs = deps.linkCacheMs ?? 30_000;
  const linkCache = new Map<string, { at: number; link: NodeDescription['link'] }>();

  async function link(nodeId: string): Promise<NodeDescription['link']> {
    const hit = linkCache.get(nodeId);
    if (hit && clock.now() - hit.at < linkCacheMs) return hit.link;
    const measured = LinkMeasurement.parse(await transport.measureLink(nodeId));
    linkCache.set(nodeId, { at: clock.now(), link: measured });
    return measured;
  }

  async function describe(nodeId: string): Promise<NodeDescription> {
    const raw = await transport.describe(nodeId);
    const reply = Reply.parse(raw);
    if (reply.nodeId !== nodeId) throw new Error(`nodeId: reply names ${reply.nodeId}, polled ${nodeId}`);
    return { ...reply, link: reply.link ?? (await link(nodeId)) };
  }

  return {
    poll(nodeIds, deadlineMs) {
      if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new RangeError(`deadlineMs must be > 0, got ${deadlineMs}`);
      const started = clock.now();
      const answers = new Map<string, NodeDescription>();
      const rejected: { nodeId: string; error: string }[] = [];
      let pending = nodeIds.length;
      let closed = false;
      return new Promise<PollResult>((resolve) => {
        const finish = (): void => {
          if (closed) return;
          closed = true;
          timer.cancel();
          const done = new Set([...answers.keys(), ...rejected.map((r) => r.nodeId)]);
          const timedOut = nodeIds.filter((id) => !done.has(id));
          if (timedOut.length > 0) log.debug({ timedOut: timedOut.length, deadlineMs }, 'broker poll: skipped nodes that missed the deadline');
          resolve({
            descriptions: nodeIds.flatMap((id) => answers.get(id) ?? []),
            timedOut,
            rejected,
            elapsedMs: clock.now() - started,
          });
        };
        const timer = timers.set(deadlineMs, finish);
        if (pending === 0) finish();
        for (const id of nodeIds) {
          describe(id).then(
            (d) => {
              if (closed) return;
              answers.set(id, d);
              if (--pending === 0) finish();
            },
            (err: unknown) => {
              if (closed) return;
              const error = err instanceof z.ZodError ? describeIssues(err) : err instanceof Error ? err.message : String(err);
              rejected.push({ nodeId: id, error });
              log.warn({ nodeId: id, error }, 'broker poll: rejected a reply');
              if (--pending === 0) finish();
            },
          );
        }
      });
    },
  };
}
