import { isTerminalJobState, type JobState, type JobSummary } from '../../../contract/index.ts';
import type { JobService } from '../../../agent/src/jobs/service.ts';

/** Resolves when the job reaches one of the states (checked on every change the service reports). */
export function waitForJob(jobs: JobService, id: string, states: readonly JobState[] | 'terminal', timeoutMs = 20_000): Promise<JobSummary> {
  const ok = (s: JobState) => (states === 'terminal' ? isTerminalJobState(s) : states.includes(s));
  return new Promise((resolve, reject) => {
    const check = (j: JobSummary) => {
      if (j.id !== id || !ok(j.state)) return false;
      off();
      clearTimeout(timer);
      resolve(j);
      return true;
    };
    const off = jobs.onChange((j) => void check(j));
    const timer = setTimeout(() => {
      off();
      reject(new Error(`job ${id} did not reach ${String(states)} in time; it is ${jobs.get(id).state}`));
    }, timeoutMs);
    check(jobs.get(id));
  });
}
