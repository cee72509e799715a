import { AgentNotRunningError, createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom ui [--data-dir DIR]

Prints a fresh one-time URL that logs a browser into the running agent's UI (the browser fallback:
the agent must have been started with --ui). The link works once and expires after 10 minutes.`;

export const command: Command = {
  name: 'ui',
  summary: 'print a one-time login URL for the browser UI',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, dataDirOption);
    try {
      const { url } = await createControlClient(resolveDataDir(values['data-dir'], io.env)).call('uiLogin');
      io.out(url);
      return Exit.ok;
    } catch (err) {
      if (err instanceof AgentNotRunningError) {
        io.err(`phantom ui: ${err.message}`);
        return Exit.noAgent;
      }
      throw err;
    }
  },
};
