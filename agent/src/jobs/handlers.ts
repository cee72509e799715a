import type { Handlers } from '../api/server.ts';
import type { JobService } from './service.ts';

/** The control API's job routes, for createControlApi's `handlers` (spread them in). */
export function jobHandlers(jobs: JobService): Pick<Handlers, 'submitJob' | 'submitBatch' | 'listJobs' | 'getJob' | 'cancelJob' | 'jobLogs' | 'jobResults'> {
  return {
    submitJob: ({ task, source }) => jobs.submit(task, source ?? 'cli'),
    submitBatch: ({ tasks }) => ({ jobs: jobs.submitBatch(tasks, 'batch') }),
    listJobs: () => ({ jobs: jobs.list() }),
    getJob: ({ id }) => jobs.get(id),
    cancelJob: ({ id }) => jobs.cancel(id),
    jobLogs: ({ id }) => jobs.logs(id),
    jobResults: ({ id }) => jobs.results(id),
  };
}
