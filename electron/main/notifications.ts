import type { NodeStatus } from '../../contract/index.ts';
import type { HostState } from './agent-host.ts';

export interface Note {
  readonly title: string;
  readonly body: string;
}

export interface Snapshot {
  readonly host: HostState;
  readonly status: NodeStatus | null;
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
  return notes;
}
