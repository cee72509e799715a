import { z } from 'zod';
import { TesState, TesTask, TesTaskRequest } from './tes.ts';

/**
 * Jobs on the control API (the `phantom submit/jobs/results/cancel/logs` commands and the app's
 * Jobs screen). A job is a TES task underneath: the CLI builds a TES task document, so both
 * doors lead to the same job table and the same states.
 */
export const JobState = TesState.extract([
  'QUEUED',
  'INITIALIZING',
  'RUNNING',
  'COMPLETE',
  'EXECUTOR_ERROR',
  'SYSTEM_ERROR',
  'CANCELED',
  'CANCELING',
]);
export type JobState = z.infer<typeof JobState>;

export const TERMINAL_JOB_STATES: readonly JobState[] = ['COMPLETE', 'EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED'];
export const isTerminalJobState = (s: JobState): boolean => TERMINAL_JOB_STATES.includes(s);

/** Where a job came from: `phantom submit`, `phantom submit --batch`, or a TES client. */
export const JobSource = z.enum(['cli', 'batch', 'tes']);
export type JobSource = z.infer<typeof JobSource>;

export const JobId = z.string().regex(/^job-[0-9a-z]{6,40}$/, 'not a job id (job-…)');

export const JobSummary = z.object({
  id: z.string(),
  name: z.string().nullable(),
  state: JobState,
  source: JobSource,
  /** argv of the first executor. */
  command: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Placements tried so far (a system failure, e.g. a lost node, places the job again). */
  attempts: z.number().int().nonnegative(),
  /** Exit code of the last executor that ran; null before one finished. */
  exitCode: z.number().int().nullable(),
  /** 0–1 when the executor reports it, else null. */
  progress: z.number().min(0).max(1).nullable(),
  /** Where the current or last attempt runs or ran. */
  node: z.string().nullable(),
  vo: z.string().nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobOutputFile = z.object({
  /** Path inside the guest. */
  path: z.string(),
  /** Where it was delivered on this host (file:// URL). */
  url: z.string(),
  sizeBytes: z.number().int().nonnegative(),
});
export type JobOutputFile = z.infer<typeof JobOutputFile>;

export const JobResults = z.object({
  id: z.string(),
  state: JobState,
  exitCode: z.number().int().nullable(),
  outputs: z.array(JobOutputFile),
  /** Outputs are delivered once, when the job ends; null until then. */
  deliveredAt: z.string().nullable(),
  systemLogs: z.array(z.string()),
});
export type JobResults = z.infer<typeof JobResults>;

export const JobExecutorLog = z.object({
  index: z.number().int().nonnegative(),
  exitCode: z.number().int().nullable(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** True when stdout or stderr was cut to its last bytes. */
  truncated: z.boolean(),
});
export type JobExecutorLog = z.infer<typeof JobExecutorLog>;

export const JobLogs = z.object({
  id: z.string(),
  state: JobState,
  attempt: z.number().int().nonnegative(),
  executors: z.array(JobExecutorLog),
  systemLogs: z.array(z.string()),
});
export type JobLogs = z.infer<typeof JobLogs>;

export const JobDetail = JobSummary.extend({ task: TesTask });
export type JobDetail = z.infer<typeof JobDetail>;

export const SubmitJobRequest = z.object({ task: TesTaskRequest, source: JobSource.optional() });
export type SubmitJobRequest = z.infer<typeof SubmitJobRequest>;

/** All tasks of a batch are checked first; one bad task refuses the whole batch and creates nothing. */
export const SubmitBatchRequest = z.object({ tasks: z.array(TesTaskRequest).min(1, 'a batch needs at least one task').max(1000, 'at most 1000 tasks per batch') });
export type SubmitBatchRequest = z.infer<typeof SubmitBatchRequest>;

export const JobRef = z.object({ id: JobId });
export type JobRef = z.infer<typeof JobRef>;

/** `state` after the request, `previous` before it; `changed` is false for a job that had already ended or was being canceled. */
export const CancelJobResponse = z.object({ id: z.string(), state: JobState, previous: JobState, changed: z.boolean() });
export type CancelJobResponse = z.infer<typeof CancelJobResponse>;
