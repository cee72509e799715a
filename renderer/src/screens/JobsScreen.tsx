import { useEffect } from 'react';
import { isTerminalJobState, type JobSummary } from '../../../contract/index.ts';
import { useClient } from '../api/context.tsx';
import { useJobs } from '../stores/jobs.ts';
import { useStatus } from '../stores/status.ts';

const REFRESH_MS = 2000;

const STATE_LABELS: Record<JobSummary['state'], string> = {
  QUEUED: 'Queued',
  INITIALIZING: 'Starting',
  RUNNING: 'Running',
  COMPLETE: 'Done',
  EXECUTOR_ERROR: 'Failed',
  SYSTEM_ERROR: 'System error',
  CANCELED: 'Cancelled',
  CANCELING: 'Cancelling',
};

function Progress({ job }: { job: JobSummary }) {
  if (job.progress === null) return <span className="muted">{isTerminalJobState(job.state) ? '—' : 'no progress reported'}</span>;
  const pct = Math.round(job.progress * 100);
  return (
    <span className="progress">
      <progress max={100} value={pct} aria-label={`${job.name ?? job.id} progress`} />
      <span className="progress-pct">{pct}%</span>
    </span>
  );
}

/** Jobs this node submitted or hosts, with progress; the owner may cancel their own. */
export function JobsScreen() {
  const client = useClient();
  const peerId = useStatus((s) => s.status?.peerId);
  const { jobs, available, error, cancelling, load, cancel } = useJobs();

  useEffect(() => {
    void load(client);
    const t = setInterval(() => void load(client), REFRESH_MS);
    return () => clearInterval(t);
  }, [client, load]);

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {available === false && <p className="card muted">This agent does not run jobs yet.</p>}
      {available && jobs.length === 0 && (
        <p className="card muted" data-testid="no-jobs">
          No jobs yet. Submit one with <code>phantom submit</code>; jobs this machine hosts for the grid show here too.
        </p>
      )}
      {jobs.length > 0 && (
        <div className="card table-wrap">
          <table className="jobs" data-testid="jobs-table">
            <caption className="sr-only">Jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col">Where</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id}>
                  <th scope="row">
                    <span className="job-name">{j.name ?? j.command.join(' ')}</span>
                    <span className="job-id">{j.id}</span>
                  </th>
                  <td>
                    <span className={`badge state-${j.state.toLowerCase()}`}>{STATE_LABELS[j.state]}</span>
                  </td>
                  <td>
                    <Progress job={j} />
                  </td>
                  <td>{j.node === null ? '—' : j.node === peerId ? 'this machine' : `${j.node.slice(0, 12)}…`}</td>
                  <td>
                    {!isTerminalJobState(j.state) && j.state !== 'CANCELING' && (
                      <button type="button" disabled={cancelling.includes(j.id)} onClick={() => void cancel(client, j.id)} aria-label={`Cancel ${j.name ?? j.id}`}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
