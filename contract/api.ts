import { z } from 'zod';
import { NodeStatus } from './status.ts';
import { DonationLimits, DonationLimitsPatch } from './limits.ts';
import { PauseRequest, PauseState, PresenceReport, UsageHistory } from './desktop.ts';
import { CancelJobResponse, JobDetail, JobLogs, JobRef, JobResults, JobSummary, SubmitBatchRequest, SubmitJobRequest } from './jobs.ts';

/**
 * The control API, defined once: the agent's HTTP server, the CLI, the renderer's client and the
 * Electron IPC bridge all use these routes and schemas.
 */
export const API_PREFIX = '/api/v1';

export interface Route<Req extends z.ZodType, Res extends z.ZodType> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly request: Req;
  readonly response: Res;
}

const route = <Req extends z.ZodType, Res extends z.ZodType>(r: Route<Req, Res>): Route<Req, Res> => r;

export const routes = {
  status: route({ method: 'GET', path: `${API_PREFIX}/status`, request: z.undefined(), response: NodeStatus }),
  getLimits: route({ method: 'GET', path: `${API_PREFIX}/limits`, request: z.undefined(), response: DonationLimits }),
  setLimits: route({ method: 'PUT', path: `${API_PREFIX}/limits`, request: DonationLimitsPatch, response: DonationLimits }),
  /** A fresh one-time URL that logs a browser into the UI (browser fallback). */
  uiLogin: route({ method: 'POST', path: `${API_PREFIX}/ui/login`, request: z.undefined(), response: z.object({ url: z.string() }) }),
  /** Donation paused (tray menu, the browser page): GET reads, PUT pauses until a time or until resumed, DELETE resumes. */
  getPause: route({ method: 'GET', path: `${API_PREFIX}/pause`, request: z.undefined(), response: PauseState }),
  pause: route({ method: 'PUT', path: `${API_PREFIX}/pause`, request: PauseRequest, response: PauseState }),
  resume: route({ method: 'DELETE', path: `${API_PREFIX}/pause`, request: z.undefined(), response: PauseState }),
  /** The owner's presence from the desktop shell (battery, screen lock, idle time); answers the agent's merged view. */
  reportPresence: route({ method: 'POST', path: `${API_PREFIX}/presence`, request: PresenceReport, response: PresenceReport }),
  /** Owner vs grid CPU per core and memory over the last minutes (the dashboard's charts). */
  getUsage: route({ method: 'GET', path: `${API_PREFIX}/usage`, request: z.undefined(), response: UsageHistory }),
  /** Jobs (phantom submit/jobs/results/cancel/logs): the body names the job, so every route has a fixed path. */
  submitJob: route({ method: 'POST', path: `${API_PREFIX}/jobs`, request: SubmitJobRequest, response: JobSummary }),
  submitBatch: route({ method: 'POST', path: `${API_PREFIX}/jobs/batch`, request: SubmitBatchRequest, response: z.object({ jobs: z.array(JobSummary) }) }),
  listJobs: route({ method: 'GET', path: `${API_PREFIX}/jobs`, request: z.undefined(), response: z.object({ jobs: z.array(JobSummary) }) }),
  getJob: route({ method: 'POST', path: `${API_PREFIX}/jobs/get`, request: JobRef, response: JobDetail }),
  cancelJob: route({ method: 'POST', path: `${API_PREFIX}/jobs/cancel`, request: JobRef, response: CancelJobResponse }),
  jobLogs: route({ method: 'POST', path: `${API_PREFIX}/jobs/logs`, request: JobRef, response: JobLogs }),
  jobResults: route({ method: 'POST', path: `${API_PREFIX}/jobs/results`, request: JobRef, response: JobResults }),
} as const;

export type RouteName = keyof typeof routes;
export type RequestOf<N extends RouteName> = z.infer<(typeof routes)[N]['request']>;
export type ResponseOf<N extends RouteName> = z.infer<(typeof routes)[N]['response']>;

/** Largest request body the control API reads; larger ones are refused before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;
