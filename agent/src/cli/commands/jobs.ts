import { createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { formatJobTable, jobCommandError } from '../../jobs/cli-support.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom jobs [--json] [--data-dir DIR]

Lists the jobs submitted from this node, newest first, with their state, exit code and age.
States: QUEUED, INITIALIZING, RUNNING, COMPLETE, EXECUTOR_ERROR (the job failed: see
\`phantom logs ID\`), SYSTEM_ERROR (the grid could not run it), CANCELING, CANCELED.
The list survives restarts of the agent. Exits 3 when no agent is running.`;

export const command: Command = {
  name: 'jobs',
  summary: 'list submitted jobs and their states',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' } });
    try {
      const { jobs } = await createControlClient(resolveDataDir(values['data-dir'], io.env)).call('listJobs');
      io.out(values.json ? JSON.stringify(jobs, null, 2) : formatJobTable(jobs, Date.now()));
      return Exit.ok;
    } catch (err) {
      return jobCommandError(err, 'jobs', io);
    }
  },
};
