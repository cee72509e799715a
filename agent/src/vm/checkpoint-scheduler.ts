// Takes a guest's checkpoints at the intervals the adaptive policy sets, feeds their measured cost
// back into it, and hands every export-worthy checkpoint to `onExport` (the overlay transfer to the
// job's parent). Timers are injected so the schedule is tested without waiting.
import type { Logger } from '../log.ts';
import type { CheckpointPolicy, CheckpointPolicyState } from '../core/checkpoint-policy.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import type { CheckpointResult } from './vm.ts';

/** What the scheduler needs of a guest (Vm implements it). */
export interface Checkpointable {
  checkpoint(store: CheckpointStore, meta: { jobId: string }): Promise<CheckpointResult>;
  readonly alive: boolean;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CheckpointSchedulerOptions {
  readonly log: Logger;
  readonly policy: CheckpointPolicy;
  readonly guest: Checkpointable;
  readonly store: CheckpointStore;
  readonly jobId: string;
  readonly timers: Timers;
  /** Called with each checkpoint the policy says to export. */
  readonly onExport?: (c: CheckpointResult) => void | Promise<void>;
  /** Called after every change of the policy's state, to keep it across restarts. */
  readonly persist?: (s: CheckpointPolicyState) => void;
}

export interface CheckpointScheduler {
  start(): void;
  stop(): void;
  /** Checkpoints taken and exported so far. */
  readonly counts: { readonly taken: number; readonly exported: number; readonly failed: number };
}

export function createCheckpointScheduler(o: CheckpointSchedulerOptions): CheckpointScheduler {
  let handle: unknown = null;
  let running = false;
  const counts = { taken: 0, exported: 0, failed: 0 };

  const schedule = () => {
    if (!running) return;
    const ms = o.policy.nextIntervalMs();
    o.persist?.(o.policy.state());
    handle = o.timers.setTimeout(() => void tick(), ms);
  };

  const tick = async () => {
    handle = null;
    if (!running || !o.guest.alive) return;
    try {
      const c = await o.guest.checkpoint(o.store, { jobId: o.jobId });
      counts.taken++;
      o.policy.recordCost(c.totalMs);
      const { export: doExport } = o.policy.onCheckpointTaken();
      o.persist?.(o.policy.state());
      o.log.info({ seq: c.meta.seq, pauseMs: c.pauseMs, totalMs: Math.round(c.totalMs), export: doExport }, 'checkpoint taken');
      if (doExport && o.onExport) {
        counts.exported++;
        await o.onExport(c);
      }
    } catch (e) {
      counts.failed++;
      o.log.warn({ err: (e as Error).message }, 'checkpoint failed; the previous one stays');
    }
    schedule();
  };

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      if (handle !== null) o.timers.clearTimeout(handle);
      handle = null;
    },
    counts,
  };
}
