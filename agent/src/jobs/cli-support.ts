import { JobId, type JobSummary } from '../../../contract/index.ts';
import { AgentNotRunningError, ApiCallError } from '../api/client.ts';
import { Exit, UsageError, type CliIO } from '../cli/command.ts';

/** What the job commands (submit, jobs, results, cancel, logs) share: id checks, errors, formats. */

export function jobIdArg(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one job id (see \`phantom jobs\`), got ${positionals.length}`);
  const id = positionals[0]!;
  if (!JobId.safeParse(id).success) throw new UsageError(`"${id}" is not a job id (they look like job-1a2b3c4d5e6f7a8b); see \`phantom jobs\``);
  return id;
}

/** Turns the errors every job command can meet into a message and an exit code. */
export function jobCommandError(err: unknown, command: string, io: CliIO): number {
  if (err instanceof AgentNotRunningError) {
    io.err(`phantom ${command}: ${err.message}`);
    return Exit.noAgent;
  }
  if (err instanceof ApiCallError) {
    io.err(`phantom ${command}: ${err.message}`);
    if (err.status === 400) return Exit.dataErr;
    return Exit.failure;
  }
  throw err;
}

export function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Quotes an argv for display so it reads like the command line that was typed. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function formatJobTable(jobs: readonly JobSummary[], now: number): string {
  if (jobs.length === 0) return 'no jobs';
  const rows = jobs.map((j) => [
    j.id,
    j.state + (j.progress !== null ? ` ${Math.round(j.progress * 100)}%` : ''),
    j.exitCode === null ? '-' : String(j.exitCode),
    age(j.createdAt, now),
    j.name ?? shellLine(j.command),
  ]);
  const head = ['ID', 'STATE', 'EXIT', 'AGE', 'NAME/COMMAND'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Exit code for a finished job, the way `docker run` and `ssh` pass on the remote one. */
export function exitCodeFor(job: Pick<JobSummary, 'state' | 'exitCode'>): number {
  if (job.state === 'COMPLETE') return Exit.ok;
  if (job.state === 'EXECUTOR_ERROR' && job.exitCode !== null && job.exitCode > 0 && job.exitCode < 256) return job.exitCode;
  return Exit.failure;
}

/** "512M", "1G", "1.5GiB", "300MB", "256" (MiB) → MiB. */
export function parseSizeMiB(value: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${option}: "${value}" is not a size (e.g. 512M, 2G)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const mib = unit === 'K' ? n / 1024 : unit === 'G' ? n * 1024 : unit === 'T' ? n * 1024 * 1024 : n;
  if (!(mib >= 1)) throw new UsageError(`--${option}: "${value}" is less than 1 MiB`);
  return Math.ceil(mib);
}
