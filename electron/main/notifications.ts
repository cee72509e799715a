import { isTerminalJobState, type JobSummary, type NodeStatus } from '../../contract/index.ts';
import type { HostState } from './agent-host.ts';

export interface Note {
  readonly title: string;
  readonly body: string;
}

export interface Snapshot {
  readonly host: HostState;
  readonly status: NodeStatus | null;
  readonly jobs?: readonly JobSummary[] | null;
}

/** Jobs running on this node now (the tray's "hosting"). */
export function hostedJobs(jobs: readonly JobSummary[] | null | undefined, peerId: string | undefined): JobSummary[] {
  return (jobs ?? []).filter((j) => peerId !== undefined && j.node === peerId && !isTerminalJobState(j.state) && j.state !== 'QUEUED');
}

const ROLE_NAMES: Record<NodeStatus['role'], string> = {
  unjoined: 'not joined',
  member: 'a member',
  'super-peer': 'the super-peer of its sub-grid',
  'region-peer': 'a region peer',
};

/**
 * The owner-facing notifications a change of state deserves. Pure: main diffs successive
 * snapshots and shows what this returns. Job and migration notices join here as their events land.
 */
export function notificationsFor(prev: Snapshot, next: Snapshot, now: number): Note[] {
  const notes: Note[] = [];
  if (next.host.kind === 'backoff' && prev.host.kind !== 'backoff') {
    const secs = Math.max(1, Math.round((next.host.retryAt - now) / 1000));
    notes.push({ title: 'Phantom Grid agent stopped', body: `It exited unexpectedly (crash ${next.host.crashes}); restarting in about ${secs} s.` });
  }
  const before = prev.status?.role;
  const after = next.status?.role;
  if (before && after && before !== after) {
    if (before === 'unjoined') notes.push({ title: 'Joined the grid', body: `This computer is now ${ROLE_NAMES[after]}.` });
    else if (after === 'unjoined') notes.push({ title: 'Left the grid', body: 'This computer is no longer part of a grid.' });
    else notes.push({ title: 'Role changed', body: `This computer is now ${ROLE_NAMES[after]}.` });
  }
  // Jobs on this machine: started, and finished or failed. Only jobs seen before count as changes,
  // so the first snapshot after a start does not announce everything already running.
  if (prev.jobs && next.jobs) {
    const me = next.status?.peerId;
    const before = new Map(prev.jobs.map((j) => [j.id, j]));
    for (const j of next.jobs) {
      if (j.node === null || j.node !== me) continue;
      const was = before.get(j.id);
      const label = j.name ?? j.command.join(' ');
      if (j.state === 'RUNNING' && (!was || was.state !== 'RUNNING') && !(was && isTerminalJobState(was.state))) notes.push({ title: 'Job started here', body: label });
      if (isTerminalJobState(j.state) && was && !isTerminalJobState(was.state)) {
        if (j.state === 'COMPLETE') notes.push({ title: 'Job finished', body: label });
        else if (j.state !== 'CANCELED') notes.push({ title: 'Job failed', body: `${label} (${j.state === 'SYSTEM_ERROR' ? 'system error' : `exit ${j.exitCode ?? '?'}`})` });
      }
    }
  }
  return notes;
}
