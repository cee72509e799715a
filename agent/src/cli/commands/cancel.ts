import { createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { jobCommandError, jobIdArg } from '../../jobs/cli-support.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom cancel ID [--json] [--data-dir DIR]

Cancels a job wherever it is: a queued job never starts, a running one is stopped and its guest
discarded. Nothing is delivered for a canceled job.

Exit codes: 0 canceled (or already being canceled), 1 it had already ended, 2 usage, 3 no agent.`;

export const command: Command = {
  name: 'cancel',
  summary: 'cancel a job',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' } }, true);
    const id = jobIdArg(positionals);
    try {
      const r = await createControlClient(resolveDataDir(values['data-dir'], io.env)).call('cancelJob', { id });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      if (r.changed) {
        if (!values.json) io.out(r.previous === 'QUEUED' ? `${id} canceled before it started` : `${id} is being canceled (it was ${r.previous})`);
        return Exit.ok;
      }
      if (r.state === 'CANCELING' || r.state === 'CANCELED') {
        if (!values.json) io.out(`${id} is already ${r.state}`);
        return Exit.ok;
      }
      io.err(`phantom cancel: ${id} already ended ${r.state}; nothing to cancel`);
      return Exit.failure;
    } catch (err) {
      return jobCommandError(err, 'cancel', io);
    }
  },
};
