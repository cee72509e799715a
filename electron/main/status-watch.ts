import type { JobSummary, NodeStatus, PauseState } from '../../contract/index.ts';
import type { AgentLink } from './agent-link.ts';
import type { HostState, HostTimers } from './agent-host.ts';

export interface WatchSnapshot {
  readonly host: HostState;
  readonly status: NodeStatus | null;
  readonly pause: PauseState | null;
  /** null when the agent has no job routes or did not answer. */
  readonly jobs: readonly JobSummary[] | null;
}

/**
 * Reads the agent's status every few seconds for the tray and notifications. The renderer polls on
 * its own through IPC; main only needs enough to draw the icon.
 */
export function createStatusWatch(opts: {
  link: Pick<AgentLink, 'call'>;
  host: () => HostState;
  timers: Pick<HostTimers, 'setTimeout' | 'clearTimeout'>;
  everyMs?: number;
  onSnapshot: (snap: WatchSnapshot) => void;
}) {
  let timer: unknown = null;
  let stopped = false;
  const tick = async () => {
    const host = opts.host();
    let status: NodeStatus | null = null;
    let pause: PauseState | null = null;
    let jobs: readonly JobSummary[] | null = null;
    if (host.kind === 'running') {
      status = await opts.link.call('status').catch(() => null);
      // An agent without the pause route yet still has a state; derive the pause from it.
      pause = status ? await opts.link.call('getPause').catch(() => ({ paused: status!.state === 'paused', until: null })) : null;
      jobs = status ? await opts.link.call('listJobs').then((r) => r.jobs, () => null) : null;
    }
    if (stopped) return;
    opts.onSnapshot({ host, status, pause, jobs });
    timer = opts.timers.setTimeout(() => void tick(), opts.everyMs ?? 2000);
  };
  return {
    start: () => void tick(),
    /** Read again now (after a pause or resume from the tray). */
    poke() {
      if (timer !== null) opts.timers.clearTimeout(timer);
      void tick();
    },
    stop() {
      stopped = true;
      if (timer !== null) opts.timers.clearTimeout(timer);
    },
  };
}
