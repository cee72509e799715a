import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import {
  isTerminalJobState,
  type CancelJobResponse,
  type JobDetail,
  type JobExecutorLog,
  type JobLogs,
  type JobResults,
  type JobSource,
  type JobSummary,
  type TesTask,
  type TesTaskRequest,
  type TesView,
} from '../../../contract/index.ts';
import { HttpError } from '../api/errors.ts';
import type { JobExecutor, JobRun, RunObserver, RunOutcome } from './executor.ts';
import { deliverFiles, matchOutputs, removeTree, stageInputs } from './files.ts';
import { openJournal, type Journal } from './journal.ts';
import { currentNode, lastExitCode, type JobEvent, type JobInit, type JobRecord, type StepRecord } from './table.ts';
import { planTask } from './validate.ts';

export interface JobServiceOptions {
  readonly dataDir: string;
  readonly log: Logger;
  readonly executor: JobExecutor;
  /** Wall clock in epoch ms (task timestamps are RFC 3339). */
  readonly clock?: { now(): number };
  readonly randomId?: () => string;
  /** Placements before a job that keeps failing for system reasons ends in SYSTEM_ERROR. */
  readonly maxAttempts?: number;
  /** Most input bytes one job may carry (the guest takes its inputs in one message). */
  readonly maxInputBytes?: number;
  /** How much of each stream the job table keeps inline (the whole streams are files). */
  readonly logTailBytes?: number;
}

export interface TesListQuery {
  readonly namePrefix?: string;
  readonly state?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly pageSize: number;
  readonly pageToken?: string;
  readonly view: TesView;
}

const LOG_READ_MAX = 1024 * 1024;

/**
 * The submitter's job table and the loop that runs it: accepts jobs from the CLI and TES, keeps
 * them in a crash-safe journal, hands each to the executor one attempt at a time, and delivers each
 * job's result exactly once — a result from a superseded attempt is counted and dropped.
 */
export function createJobService(opts: JobServiceOptions) {
  const log = opts.log.child({ component: 'jobs' });
  const now = () => (opts.clock ?? Date).now();
  const randomId = opts.randomId ?? (() => randomBytes(8).toString('hex'));
  const maxAttempts = opts.maxAttempts ?? 3;
  const maxInputBytes = opts.maxInputBytes ?? 6 * 1024 * 1024;
  const tailBytes = opts.logTailBytes ?? 16 * 1024;
  const jobsDir = join(opts.dataDir, 'jobs');
  const executor = opts.executor;

  let journal: Journal | null = null;
  let stopping = false;
  const queue: string[] = [];
  const running = new Map<string, { attempt: number; abort: AbortController; done: Promise<void> }>();
  const progress = new Map<string, number>();
  const listeners = new Set<(r: JobRecord) => void>();
  const eventListeners = new Set<(events: readonly JobEvent[]) => void>();
  let duplicatesIgnored = 0;

  const j = (): Journal => {
    if (!journal) throw new HttpError(503, 'internal', 'the job service is not running');
    return journal;
  };
  const jobDir = (id: string) => join(jobsDir, id);
  const attemptDir = (id: string, attempt: number) => join(jobDir(id), `a${attempt}`);
  const outputDir = (id: string, attempt: number) => join(attemptDir(id, attempt), 'out');

  const record = (...events: JobEvent[]) => {
    j().append(...events);
    for (const l of eventListeners) l(events);
    const touched = new Set(events.flatMap((e) => (e.t === 'created' ? e.jobs.map((x) => x.id) : [e.id])));
    for (const id of touched) {
      const r = j().table.get(id);
      if (r) for (const l of listeners) l(r);
    }
  };

  const find = (id: string): JobRecord => {
    const r = journal?.table.get(id);
    if (!r) throw new HttpError(404, 'not_found', `no job ${id}`, 'id');
    return r;
  };

  // ---- views ----------------------------------------------------------------------------------

  const iso = (ms: number) => new Date(ms).toISOString();

  const summary = (r: JobRecord): JobSummary => ({
    id: r.id,
    name: r.task.name ?? null,
    state: r.state,
    source: r.source,
    command: r.task.executors[0]?.command ?? [],
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    attempts: r.attempt,
    exitCode: lastExitCode(r),
    progress: isTerminalJobState(r.state) ? null : (progress.get(r.id) ?? null),
    node: currentNode(r),
    vo: r.plan.resources.vo,
  });

  const tesTask = (r: JobRecord, view: TesView): TesTask => {
    if (view === 'MINIMAL') return { id: r.id, state: r.state };
    const full = view === 'FULL';
    const t = r.task;
    return {
      id: r.id,
      state: r.state,
      ...(t.name !== undefined ? { name: t.name } : {}),
      ...(t.description !== undefined ? { description: t.description } : {}),
      ...(t.inputs ? { inputs: t.inputs.map((i) => (full ? i : (({ content: _c, ...rest }) => rest)(i))) } : {}),
      ...(t.outputs ? { outputs: t.outputs } : {}),
      ...(t.resources ? { resources: t.resources } : {}),
      executors: t.executors,
      ...(t.volumes ? { volumes: t.volumes } : {}),
      ...(t.tags ? { tags: t.tags } : {}),
      logs: r.attempts.map((a, i) => ({
        logs: a.steps.map((s) => ({
          start_time: iso(s.startedAt),
          end_time: iso(s.endedAt),
          exit_code: s.exitCode,
          ...(full ? { stdout: s.stdoutTail, stderr: s.stderrTail } : {}),
        })),
        metadata: { attempt: String(a.attempt), ...(a.node ? { node: a.node } : {}), executor: executor.name },
        start_time: iso(a.startedAt),
        ...(a.endedAt !== null ? { end_time: iso(a.endedAt) } : {}),
        outputs: a.outputs.map((o) => ({ url: o.url, path: o.path, size_bytes: String(o.sizeBytes) })),
        ...(full ? { system_logs: [...(i === 0 ? r.notes : []), ...a.systemLogs] } : {}),
      })),
      creation_time: iso(r.createdAt),
    };
  };

  const tailOf = (data: Uint8Array): { text: string; truncated: boolean } => {
    const truncated = data.length > tailBytes;
    return { text: Buffer.from(truncated ? data.subarray(data.length - tailBytes) : data).toString('utf8'), truncated };
  };

  const readTail = (file: string): { text: string; truncated: boolean } | null => {
    if (!existsSync(file)) return null;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, LOG_READ_MAX);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return { text: buf.toString('utf8'), truncated: size > len };
    } finally {
      closeSync(fd);
    }
  };

  // ---- running --------------------------------------------------------------------------------

  const pump = () => {
    if (stopping || !journal) return;
    while (running.size < executor.slots() && queue.length > 0) {
      const id = queue.shift()!;
      const r = journal.table.get(id);
      if (!r || r.state !== 'QUEUED') continue;
      launch(r);
    }
  };

  const launch = (r: JobRecord) => {
    const attempt = r.attempt + 1;
    if (attempt > maxAttempts) {
      record({ t: 'ended', at: now(), id: r.id, state: 'SYSTEM_ERROR', reason: `gave up after ${maxAttempts} attempts` });
      return;
    }
    record({ t: 'attempt', at: now(), id: r.id, attempt });
    const out = outputDir(r.id, attempt);
    removeTree(out);
    mkdirSync(out, { recursive: true, mode: 0o700 });
    const run: JobRun = { jobId: r.id, attempt, ...r.plan, outputDir: out };
    const abort = new AbortController();
    const live = () => !stopping && journal?.table.get(r.id)?.attempt === attempt && !isTerminalJobState(journal.table.get(r.id)!.state);
    const observer: RunObserver = {
      initializing: ({ node }) => {
        if (live()) record({ t: 'state', at: now(), id: r.id, state: 'INITIALIZING', node });
      },
      running: () => {
        if (live() && journal?.table.get(r.id)?.state === 'INITIALIZING') record({ t: 'state', at: now(), id: r.id, state: 'RUNNING' });
      },
      progress: (fraction) => {
        if (live()) progress.set(r.id, Math.min(1, Math.max(0, fraction)));
      },
      note: (line) => {
        if (live()) record({ t: 'note', at: now(), id: r.id, line });
      },
    };
    log.info({ job: r.id, attempt }, 'job placed');
    const done = executor
      .run(run, observer, abort.signal)
      .catch((err: unknown): RunOutcome => ({ kind: 'system_error', message: `executor failed: ${(err as Error).message}`, retry: true }))
      .then((outcome) => {
        running.delete(r.id);
        if (stopping) return;
        try {
          settle(r.id, attempt, outcome);
        } catch (err) {
          log.error({ err, job: r.id }, 'recording a job outcome failed');
        }
        pump();
      });
    running.set(r.id, { attempt, abort, done });
  };

  /** Records an attempt's outcome, once: a late or repeated outcome for a settled attempt is dropped. */
  const settle = (id: string, attempt: number, outcome: RunOutcome) => {
    const r = j().table.get(id);
    if (!r || r.attempt !== attempt || r.pending || isTerminalJobState(r.state)) {
      duplicatesIgnored++;
      log.warn({ job: id, attempt, kind: outcome.kind }, 'dropped an outcome for an attempt that is no longer current');
      return;
    }
    progress.delete(id);
    if (r.state === 'CANCELING' || outcome.kind === 'canceled') {
      record({ t: 'ended', at: now(), id, state: 'CANCELED', reason: 'canceled by the user' });
      removeTree(attemptDir(id, attempt));
      return;
    }
    if (outcome.kind === 'system_error') {
      if (outcome.retry && attempt < maxAttempts) {
        record({ t: 'requeued', at: now(), id, reason: `attempt ${attempt} failed: ${outcome.message}; placing it again` });
        queue.push(id);
      } else {
        record({ t: 'ended', at: now(), id, state: 'SYSTEM_ERROR', reason: outcome.message });
      }
      return;
    }

    const dir = attemptDir(id, attempt);
    const out = outputDir(id, attempt);
    const steps: StepRecord[] = outcome.steps.map((s, k) => {
      writeFileSync(join(dir, `step${k}.stdout`), s.stdout, { mode: 0o600 });
      writeFileSync(join(dir, `step${k}.stderr`), s.stderr, { mode: 0o600 });
      // TES executor.stdout/stderr name files the streams also go to, for outputs to pick up.
      const step = r.plan.steps[k];
      for (const [path, data] of [
        [step?.stdoutPath, s.stdout],
        [step?.stderrPath, s.stderr],
      ] as const) {
        if (path && !existsSync(join(out, path))) {
          mkdirSync(dirname(join(out, path)), { recursive: true });
          writeFileSync(join(out, path), data);
        }
      }
      const o = tailOf(s.stdout);
      const e = tailOf(s.stderr);
      return { exitCode: s.exitCode, startedAt: s.startedAt, endedAt: s.endedAt, stdoutTail: o.text, stderrTail: e.text, truncated: o.truncated || e.truncated };
    });
    const failed = steps.findIndex((s, k) => s.exitCode !== 0 && !r.plan.steps[k]?.ignoreError);
    const notes: string[] = [];
    if (failed >= 0) notes.push(`executor ${failed} exited with code ${steps[failed]!.exitCode}`);
    else if (steps.length < r.plan.steps.length) notes.push(`only ${steps.length} of ${r.plan.steps.length} executors ran`);
    const { files, missing } = matchOutputs(r.plan, out);
    const inputs = new Map(r.plan.inputs.map((i) => [i.path, i.file]));
    // A directory output collects what the job made; inputs it left untouched are not results.
    const made = files.filter((f) => {
      const input = inputs.get(f.staged);
      return !(input && existsSync(input) && readFileSync(input).equals(readFileSync(join(out, f.staged))));
    });
    for (const m of missing) notes.push(`declared output ${m} was not produced`);
    const final = failed >= 0 || steps.length < r.plan.steps.length || missing.length > 0 ? 'EXECUTOR_ERROR' : 'COMPLETE';
    record(...notes.map((line): JobEvent => ({ t: 'note', at: now(), id, line })), {
      t: 'result',
      at: now(),
      id,
      attempt,
      steps,
      pending: { attempt, final, files: made },
    });
    deliver(id);
  };

  const deliver = (id: string) => {
    const r = j().table.get(id);
    if (!r?.pending) return;
    const { attempt } = r.pending;
    try {
      deliverFiles(r.pending, outputDir(id, attempt));
    } catch (err) {
      log.error({ err, job: id }, 'delivering outputs failed');
      record({ t: 'ended', at: now(), id, state: 'SYSTEM_ERROR', reason: `delivering outputs failed: ${(err as Error).message}` });
      return;
    }
    record({ t: 'delivered', at: now(), id, attempt });
    removeTree(outputDir(id, attempt));
    log.info({ job: id, state: r.state, files: r.attempts.at(-1)?.outputs.length ?? 0 }, 'job result delivered');
  };

  // ---- submission -----------------------------------------------------------------------------

  const prepare = (tasks: readonly TesTaskRequest[], source: JobSource, fieldPrefix: string): JobInit[] => {
    const images = executor.images();
    const staged: string[] = [];
    try {
      const seq0 = Math.max(0, ...[...j().table.values()].map((r) => r.seq));
      return tasks.map((task, k) => {
        const prefix = fieldPrefix ? `${fieldPrefix}${k}.` : '';
        let plan;
        try {
          plan = planTask(task, { images, dataDir: opts.dataDir });
        } catch (err) {
          if (err instanceof HttpError && prefix) throw new HttpError(err.status, err.code, `${prefix}${err.message}`, `${prefix}${err.field ?? ''}`);
          throw err;
        }
        const id = `job-${randomId()}`;
        const dir = join(jobDir(id), 'inputs');
        staged.push(jobDir(id));
        let inputs;
        try {
          inputs = stageInputs(plan.inputs, dir, maxInputBytes);
        } catch (err) {
          if (err instanceof HttpError && prefix) throw new HttpError(err.status, err.code, `${prefix}${err.message}`, `${prefix}${err.field ?? ''}`);
          throw err;
        }
        return {
          id,
          seq: seq0 + k + 1,
          source,
          createdAt: now(),
          task: plan.task,
          notes: plan.notes,
          plan: { imageVersion: plan.imageVersion, steps: plan.steps, inputs, outputs: plan.outputs, volumes: plan.volumes, resources: plan.resources },
        };
      });
    } catch (err) {
      // Nothing is created unless everything is: drop what was staged for the batch.
      for (const d of staged) removeTree(d);
      throw err;
    }
  };

  /** Answers with each job as it was accepted (QUEUED), before the pump may already place it. */
  const submitMany = (tasks: readonly TesTaskRequest[], source: JobSource, fieldPrefix: string): JobSummary[] => {
    if (stopping) throw new HttpError(503, 'internal', 'the agent is stopping');
    const jobs = prepare(tasks, source, fieldPrefix);
    record({ t: 'created', at: now(), jobs });
    for (const job of jobs) queue.push(job.id);
    log.info({ jobs: jobs.map((x) => x.id), source }, 'jobs submitted');
    const accepted = jobs.map((x) => summary(j().table.get(x.id)!));
    pump();
    return accepted;
  };

  const cancel = (id: string): CancelJobResponse => {
    const r = find(id);
    const previous = r.state;
    if (isTerminalJobState(r.state) || r.state === 'CANCELING') return { id, state: r.state, previous, changed: false };
    if (r.state === 'QUEUED') {
      const at = queue.indexOf(id);
      if (at >= 0) queue.splice(at, 1);
      record({ t: 'ended', at: now(), id, state: 'CANCELED', reason: 'canceled by the user before it was placed' });
    } else {
      record({ t: 'state', at: now(), id, state: 'CANCELING' });
      running.get(id)?.abort.abort();
    }
    log.info({ job: id, previous }, 'job cancel requested');
    return { id, state: r.state, previous, changed: true };
  };

  const jobLogs = (id: string): JobLogs => {
    const r = find(id);
    const a = r.attempts.at(-1);
    const executors: JobExecutorLog[] = (a?.steps ?? []).map((s, k) => {
      const out = readTail(join(attemptDir(id, a!.attempt), `step${k}.stdout`));
      const err = readTail(join(attemptDir(id, a!.attempt), `step${k}.stderr`));
      return {
        index: k,
        exitCode: s.exitCode,
        startTime: iso(s.startedAt),
        endTime: iso(s.endedAt),
        stdout: out?.text ?? s.stdoutTail,
        stderr: err?.text ?? s.stderrTail,
        truncated: out && err ? out.truncated || err.truncated : s.truncated,
      };
    });
    return { id, state: r.state, attempt: r.attempt, executors, systemLogs: [...r.notes, ...r.attempts.flatMap((x) => x.systemLogs)] };
  };

  const results = (id: string): JobResults => {
    const r = find(id);
    return {
      id,
      state: r.state,
      exitCode: lastExitCode(r),
      outputs: r.deliveredAt === null ? [] : (r.attempts.at(-1)?.outputs ?? []),
      deliveredAt: r.deliveredAt === null ? null : iso(r.deliveredAt),
      systemLogs: [...r.notes, ...r.attempts.flatMap((x) => x.systemLogs)],
    };
  };

  const ordered = (): JobRecord[] => [...j().table.values()].sort((a, b) => b.seq - a.seq);

  return {
    async start(): Promise<void> {
      stopping = false;
      journal = openJournal({ dir: jobsDir, log });
      const table = journal.table;
      // Folders of jobs never journaled (a crash between staging and the journal write).
      if (existsSync(jobsDir)) {
        for (const name of readdirSync(jobsDir)) if (name.startsWith('job-') && !table.has(name)) removeTree(join(jobsDir, name));
      }
      const recovered: Record<string, number> = {};
      for (const r of [...table.values()].sort((a, b) => a.seq - b.seq)) {
        if (isTerminalJobState(r.state)) continue;
        recovered[r.state] = (recovered[r.state] ?? 0) + 1;
        if (r.pending) deliver(r.id);
        else if (r.state === 'CANCELING') record({ t: 'ended', at: now(), id: r.id, state: 'CANCELED', reason: 'canceled by the user (completed after an agent restart)' });
        else if (r.state === 'INITIALIZING' || r.state === 'RUNNING') {
          record({ t: 'requeued', at: now(), id: r.id, reason: `the agent stopped during attempt ${r.attempt}; placing it again` });
          queue.push(r.id);
        } else queue.push(r.id);
      }
      log.info({ jobs: table.size, replayed: journal.stats.replayed, recovered }, 'job table loaded');
      pump();
    },
    /** Stops running attempts without recording them: the next start places them again. */
    async stop(): Promise<void> {
      if (!journal) return;
      stopping = true;
      const runs = [...running.values()];
      for (const run of runs) run.abort.abort();
      await Promise.all(runs.map((run) => run.done));
      queue.length = 0;
      journal.close();
      journal = null;
    },
    submit(task: TesTaskRequest, source: JobSource = 'cli'): JobSummary {
      return submitMany([task], source, '')[0]!;
    },
    submitBatch(tasks: readonly TesTaskRequest[], source: JobSource = 'batch'): JobSummary[] {
      return submitMany(tasks, source, 'tasks.');
    },
    list: (): JobSummary[] => ordered().map(summary),
    get: (id: string): JobDetail => {
      const r = find(id);
      return { ...summary(r), task: tesTask(r, 'FULL') };
    },
    cancel,
    logs: jobLogs,
    results,
    /** Called on every change of a job (the app's Jobs screen, tests). Returns an unsubscribe. */
    onChange(listener: (job: JobSummary) => void): () => void {
      const l = (r: JobRecord) => listener(summary(r));
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /**
     * Every journaled event, after it is on disk: what the overlay mirrors into the super-peer's
     * state so the job table outlives the submitter's disk. Returns an unsubscribe.
     */
    onEvents(listener: (events: readonly JobEvent[]) => void): () => void {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    stats: () => ({
      jobs: journal?.table.size ?? 0,
      running: running.size,
      queued: queue.length,
      deliveries: [...(journal?.table.values() ?? [])].reduce((n, r) => n + r.deliveries, 0),
      duplicatesIgnored,
    }),
    /** The GA4GH TES operations; agent/src/api/tes.ts puts them on HTTP. */
    tes: {
      executorName: executor.name,
      images: () => executor.images(),
      create: (task: TesTaskRequest): { id: string } => ({ id: submitMany([task], 'tes', '')[0]!.id }),
      get: (id: string, view: TesView): TesTask => tesTask(find(id), view),
      cancel: (id: string): Record<string, never> => {
        cancel(id);
        return {};
      },
      list(q: TesListQuery): { tasks: TesTask[]; next_page_token?: string } {
        let rows = ordered();
        if (q.namePrefix) rows = rows.filter((r) => (r.task.name ?? '').startsWith(q.namePrefix!));
        if (q.state) rows = rows.filter((r) => r.state === q.state);
        if (q.tags) {
          for (const [k, v] of Object.entries(q.tags)) rows = rows.filter((r) => r.task.tags?.[k] !== undefined && (v === '' || r.task.tags[k] === v));
        }
        if (q.pageToken !== undefined) {
          const after = decodePageToken(q.pageToken);
          rows = rows.filter((r) => r.seq < after);
        }
        const page = rows.slice(0, q.pageSize);
        const more = rows.length > page.length;
        return { tasks: page.map((r) => tesTask(r, q.view)), ...(more ? { next_page_token: encodePageToken(page.at(-1)!.seq) } : {}) };
      },
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;

const encodePageToken = (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url');
function decodePageToken(token: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new HttpError(400, 'bad_request', 'page_token: not a token this server issued', 'page_token');
  return Number(m[1]);
}

