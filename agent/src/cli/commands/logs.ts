import { createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { jobCommandError, jobIdArg } from '../../jobs/cli-support.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom logs ID [--json] [--data-dir DIR]

Prints a job's output: its stdout to stdout and its stderr to stderr (the last MiB of each), for
the latest attempt, followed on stderr by what the grid noted about the job (placements, retries,
why it failed). Exits 0 when the logs were printed, 3 when no agent is running.`;

export const command: Command = {
  name: 'logs',
  summary: "print a job's stdout, stderr and system notes",
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' } }, true);
    const id = jobIdArg(positionals);
    try {
      const logs = await createControlClient(resolveDataDir(values['data-dir'], io.env)).call('jobLogs', { id });
      if (values.json) {
        io.out(JSON.stringify(logs, null, 2));
        return Exit.ok;
      }
      const many = logs.executors.length > 1;
      for (const e of logs.executors) {
        if (many) io.err(`--- executor ${e.index} (exit code ${e.exitCode ?? '-'})`);
        if (e.truncated) io.err('(output cut to its last MiB)');
        if (e.stdout) io.out(e.stdout.replace(/\n$/, ''));
        if (e.stderr) io.err(e.stderr.replace(/\n$/, ''));
      }
      if (logs.executors.length === 0) io.err(`${id} is ${logs.state}: no output yet`);
      for (const line of logs.systemLogs) io.err(`phantom: ${line}`);
      return Exit.ok;
    } catch (err) {
      return jobCommandError(err, 'logs', io);
    }
  },
};
