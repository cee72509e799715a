import { resolve } from 'node:path';
import { isTerminalJobState, type JobSummary, type TesTaskRequest } from '../../../../contract/index.ts';
import { createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { BatchFileError, buildTask, readBatchFile } from '../../jobs/batch-file.ts';
import { exitCodeFor, jobCommandError, parseSizeMiB, shellLine } from '../../jobs/cli-support.ts';
import { Exit, UsageError, type CliIO, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom submit [--in FILE]... [--out DIR] [--cores N] [--mem SIZE] [--vo NAME] [--name NAME]
                      [--wait] [--json] [--data-dir DIR] -- CMD [ARGS...]
       phantom submit --batch FILE [--wait] [--json] [--data-dir DIR]

Submits a job to the grid. It runs CMD in a fresh guest VM, in /job, as an unprivileged user.
Prints the job's id (follow it with \`phantom jobs\`, \`phantom logs ID\`, \`phantom results ID\`).

  --in FILE      copy FILE into the job as /job/<its name> (repeatable); files are read at submission
  --out DIR      deliver every file the job creates or changes under /job into DIR when it ends
  --cores N      virtual CPUs for the guest (default 1)
  --mem SIZE     guest memory, e.g. 512M or 2G (default 256M)
  --vo NAME      the virtual organisation the job runs for
  --name NAME    a name to find the job by
  --wait         wait for the job to end, showing progress on stderr, then print its output and
                 exit with the job's exit code (1 if it failed for other reasons)
  --batch FILE   submit many jobs from one JSON file; all are checked first, and one bad job
                 submits none. Format (version 1; relative paths are from the file's folder):
                   { "version": 1,
                     "defaults": { "cores": 1, "mem": "256M", "vo": "physics", "in": ["common.dat"] },
                     "jobs": [ { "name": "part-1", "command": ["wc", "-l", "part-1.txt"],
                                 "in": ["part-1.txt"], "out": "out/{name}" } ] }
                 or { "version": 1, "tasks": [ <GA4GH TES task documents> ] }.
                 "out" may use {name} and {index}; a job's "in" adds to the defaults'.

Exit codes: 0 submitted (with --wait: the job completed), 2 usage, 3 no agent running,
65 the agent refused the job (the message names the field), else the job's exit code with --wait.`;

const POLL_MS = 500;

async function waitFor(ids: readonly string[], client: ReturnType<typeof createControlClient>, io: CliIO): Promise<JobSummary[]> {
  const last = new Map<string, string>();
  const started = Date.now();
  for (;;) {
    const { jobs } = await client.call('listJobs');
    const mine = jobs.filter((j) => ids.includes(j.id));
    for (const j of mine) {
      const shown = `${j.state}${j.progress !== null ? ` ${Math.round(j.progress * 100)}%` : ''}${j.node ? ` on ${j.node}` : ''}${j.attempts > 1 ? ` (attempt ${j.attempts})` : ''}`;
      if (last.get(j.id) !== shown) {
        last.set(j.id, shown);
        io.err(`${j.id}  ${shown}  ${Math.round((Date.now() - started) / 1000)}s`);
      }
    }
    if (mine.length === ids.length && mine.every((j) => isTerminalJobState(j.state))) return ids.map((id) => mine.find((j) => j.id === id)!);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const command: Command = {
  name: 'submit',
  summary: 'submit a job (or a batch) to the grid',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ...dataDirOption,
        json: { type: 'boolean' },
        wait: { type: 'boolean' },
        in: { type: 'string', multiple: true },
        out: { type: 'string' },
        cores: { type: 'string' },
        mem: { type: 'string' },
        vo: { type: 'string' },
        name: { type: 'string' },
        batch: { type: 'string' },
      },
      true,
    );
    let tasks: TesTaskRequest[];
    if (values.batch !== undefined) {
      const extra = ['in', 'out', 'cores', 'mem', 'vo', 'name'].filter((k) => values[k as keyof typeof values] !== undefined);
      if (extra.length || positionals.length) throw new UsageError(`--batch takes its jobs from the file; drop ${extra.length ? extra.map((k) => `--${k}`).join(', ') : 'the command'}`);
      try {
        tasks = readBatchFile(resolve(values.batch));
      } catch (err) {
        if (!(err instanceof BatchFileError)) throw err;
        io.err(`phantom submit: ${err.message} (nothing submitted)`);
        return Exit.dataErr;
      }
    } else {
      if (positionals.length === 0) throw new UsageError('no command given: put it after --, e.g. phantom submit -- wc -l data.txt');
      const cores = values.cores === undefined ? undefined : Number(values.cores);
      if (cores !== undefined && (!/^\d+$/.test(values.cores!) || cores < 1)) throw new UsageError(`--cores: "${values.cores}" is not a whole number ≥ 1`);
      try {
        tasks = [
          buildTask({
            command: positionals,
            inputs: (values.in ?? []).map((f) => resolve(f)),
            outDir: values.out === undefined ? null : resolve(values.out),
            ...(cores !== undefined ? { cores } : {}),
            ...(values.mem !== undefined ? { memoryMiB: parseSizeMiB(values.mem, 'mem') } : {}),
            ...(values.vo !== undefined ? { vo: values.vo } : {}),
            ...(values.name !== undefined ? { name: values.name } : {}),
          }),
        ];
      } catch (err) {
        if (err instanceof BatchFileError) throw new UsageError(`--in: ${err.message}`);
        throw err;
      }
    }

    const client = createControlClient(resolveDataDir(values['data-dir'], io.env));
    try {
      const submitted = values.batch !== undefined ? (await client.call('submitBatch', { tasks })).jobs : [await client.call('submitJob', { task: tasks[0]!, source: 'cli' })];
      const ids = submitted.map((j) => j.id);
      if (!values.wait) {
        io.out(values.json ? JSON.stringify(values.batch !== undefined ? submitted : submitted[0], null, 2) : ids.join('\n'));
        return Exit.ok;
      }
      for (const j of submitted) io.err(`submitted ${j.id}: ${shellLine(j.command)}`);
      const done = await waitFor(ids, client, io);
      if (values.json) {
        io.out(JSON.stringify(values.batch !== undefined ? done : done[0], null, 2));
      } else if (done.length === 1) {
        const logs = await client.call('jobLogs', { id: done[0]!.id });
        for (const e of logs.executors) {
          if (e.stdout) io.out(e.stdout.replace(/\n$/, ''));
          if (e.stderr) io.err(e.stderr.replace(/\n$/, ''));
        }
        if (done[0]!.state !== 'COMPLETE') {
          io.err(`phantom submit: ${done[0]!.id} ended ${done[0]!.state}${done[0]!.exitCode !== null ? ` (exit code ${done[0]!.exitCode})` : ''}${logs.systemLogs.length ? `: ${logs.systemLogs.at(-1)}` : ''}`);
        }
      } else {
        for (const j of done) io.out(`${j.id}  ${j.state}${j.exitCode !== null ? `  exit ${j.exitCode}` : ''}`);
      }
      const codes = done.map(exitCodeFor);
      return codes.find((c) => c !== Exit.ok) ?? Exit.ok;
    } catch (err) {
      return jobCommandError(err, 'submit', io);
    }
  },
};
