import { isTerminalJobState, type JobSource, type JobState, type TesTaskRequest } from '../../../contract/index.ts';
import type { RunInput, RunOutput, RunResources, RunStep } from './executor.ts';

/**
 * The job table: records, the journal events that change them, and one pure `apply` that both the
 * live service and crash recovery use — so what is replayed is exactly what happened.
 */

/** What the submission was turned into, fixed at submission so a restart runs the same job. */
export interface JobPlan {
  readonly imageVersion: string | null;
  readonly steps: readonly RunStep[];
  readonly inputs: readonly RunInput[];
  readonly outputs: readonly (RunOutput & { readonly url: string; readonly dest: string })[];
  readonly volumes: readonly string[];
  readonly resources: RunResources;
}

export interface StepRecord {
  readonly exitCode: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The last bytes only; the whole streams are files in the job's folder. */
  readonly stdoutTail: string;
  readonly stderrTail: string;
  readonly truncated: boolean;
}

export interface DeliveredFile {
  /** Absolute path inside the guest (/job/…). */
  readonly path: string;
  readonly url: string;
  readonly sizeBytes: number;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: number;
  endedAt: number | null;
  node: string | null;
  steps: StepRecord[];
  outputs: DeliveredFile[];
  systemLogs: string[];
}

/** An accepted outcome whose outputs are not yet at their destinations. */
export interface PendingResult {
  readonly attempt: number;
  readonly final: JobState;
  /** Staged file (relative to the attempt's output dir) → delivered file. */
  readonly files: readonly { readonly staged: string; readonly dest: string; readonly file: DeliveredFile }[];
}

export interface JobRecord {
  readonly id: string;
  readonly seq: number;
  readonly source: JobSource;
  readonly createdAt: number;
  readonly task: TesTaskRequest;
  readonly plan: JobPlan;
  /** Said about the submission itself (e.g. an ignored parameter); shown with the first attempt. */
  readonly notes: readonly string[];
  state: JobState;
  updatedAt: number;
  /** The current placement (0 = never placed). */
  attempt: number;
  attempts: AttemptRecord[];
  pending: PendingResult | null;
  deliveredAt: number | null;
  /** How many times a result was delivered: the exactly-once bookkeeping the chaos tests read. */
  deliveries: number;
}

export type JobInit = Pick<JobRecord, 'id' | 'seq' | 'source' | 'createdAt' | 'task' | 'plan' | 'notes'>;

export type JobEvent =
  | { readonly t: 'created'; readonly at: number; readonly jobs: readonly JobInit[] }
  | { readonly t: 'attempt'; readonly at: number; readonly id: string; readonly attempt: number }
  | { readonly t: 'state'; readonly at: number; readonly id: string; readonly state: 'INITIALIZING' | 'RUNNING' | 'CANCELING'; readonly node?: string }
  | { readonly t: 'note'; readonly at: number; readonly id: string; readonly line: string }
  /** The attempt ended without a result worth keeping: back to the queue. */
  | { readonly t: 'requeued'; readonly at: number; readonly id: string; readonly reason: string }
  | { readonly t: 'result'; readonly at: number; readonly id: string; readonly attempt: number; readonly steps: readonly StepRecord[]; readonly pending: PendingResult }
  | { readonly t: 'delivered'; readonly at: number; readonly id: string; readonly attempt: number }
  /** Ended with nothing to deliver (canceled, or a system error after the last retry). */
  | { readonly t: 'ended'; readonly at: number; readonly id: string; readonly state: 'SYSTEM_ERROR' | 'CANCELED'; readonly reason: string };

export type JobTable = Map<string, JobRecord>;

const current = (r: JobRecord): AttemptRecord | undefined => r.attempts.at(-1);

/** Applies one event. Events that do not fit the record (stale attempt, already ended) change nothing. */
export function apply(table: JobTable, ev: JobEvent): void {
  if (ev.t === 'created') {
    for (const j of ev.jobs) {
      if (table.has(j.id)) continue;
      table.set(j.id, { ...j, state: 'QUEUED', updatedAt: ev.at, attempt: 0, attempts: [], pending: null, deliveredAt: null, deliveries: 0 });
    }
    return;
  }
  const r = table.get(ev.id);
  if (!r) return;
  switch (ev.t) {
    case 'attempt':
      if (isTerminalJobState(r.state) || ev.attempt <= r.attempt) return;
      r.attempt = ev.attempt;
      r.attempts.push({ attempt: ev.attempt, startedAt: ev.at, endedAt: null, node: null, steps: [], outputs: [], systemLogs: [] });
      r.state = 'INITIALIZING';
      break;
    case 'state':
      if (isTerminalJobState(r.state)) return;
      if (r.state === 'CANCELING' && ev.state !== 'CANCELING') return;
      r.state = ev.state;
      if (ev.node !== undefined) {
        const a = current(r);
        if (a) a.node = ev.node;
      }
      break;
    case 'note': {
      const a = current(r);
      if (a) a.systemLogs.push(ev.line);
      break;
    }
    case 'requeued': {
      if (isTerminalJobState(r.state)) return;
      const a = current(r);
      if (a) {
        a.endedAt = ev.at;
        a.systemLogs.push(ev.reason);
      }
      r.state = 'QUEUED';
      break;
    }
    case 'result': {
      if (isTerminalJobState(r.state) || r.pending || ev.attempt !== r.attempt) return;
      const a = current(r);
      if (a) {
        a.steps = [...ev.steps];
        a.endedAt = ev.at;
      }
      r.pending = ev.pending;
      break;
    }
    case 'delivered': {
      if (!r.pending || r.pending.attempt !== ev.attempt) return;
      const a = current(r);
      if (a) a.outputs = r.pending.files.map((f) => f.file);
      r.state = r.pending.final;
      r.pending = null;
      r.deliveredAt = ev.at;
      r.deliveries += 1;
      break;
    }
    case 'ended': {
      if (isTerminalJobState(r.state)) return;
      const a = current(r);
      if (a) {
        a.endedAt ??= ev.at;
        a.systemLogs.push(ev.reason);
      }
      r.state = ev.state;
      r.pending = null;
      break;
    }
  }
  r.updatedAt = ev.at;
}

/** Exit code of the last step that ran in the latest attempt. */
export function lastExitCode(r: JobRecord): number | null {
  return current(r)?.steps.at(-1)?.exitCode ?? null;
}

export function currentNode(r: JobRecord): string | null {
  return current(r)?.node ?? null;
}
