import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTerminalJobState } from '../../../../contract/index.ts';
import { createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { exitCodeFor, jobCommandError, jobIdArg } from '../../jobs/cli-support.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom results ID [--copy-to DIR] [--json] [--data-dir DIR]

Shows a job's result: its state, exit code and the output files delivered when it ended (where
\`phantom submit --out DIR\` or the TES task's outputs asked for them). Results are delivered once;
--copy-to DIR copies the delivered files into DIR as well.

Exit codes: 0 the job completed, 1 it is not finished or ended without completing, 2 usage,
3 no agent running.`;

export const command: Command = {
  name: 'results',
  summary: "show a finished job's exit code and output files",
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' }, 'copy-to': { type: 'string' } }, true);
    const id = jobIdArg(positionals);
    try {
      const r = await createControlClient(resolveDataDir(values['data-dir'], io.env)).call('jobResults', { id });
      if (values['copy-to'] !== undefined) {
        const to = resolve(values['copy-to']);
        for (const f of r.outputs) {
          const dest = join(to, f.path.replace(/^\/job\//, ''));
          mkdirSync(dirname(dest), { recursive: true });
          copyFileSync(fileURLToPath(f.url), dest);
        }
      }
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`${r.id}  ${r.state}${r.exitCode !== null ? `  exit code ${r.exitCode}` : ''}`);
        if (!isTerminalJobState(r.state)) io.out('not finished: results are delivered when the job ends');
        else if (r.outputs.length === 0) io.out('no output files (its output is in `phantom logs ' + r.id + '`)');
        for (const f of r.outputs) io.out(`  ${fileURLToPath(f.url)}  (${f.sizeBytes} bytes, ${f.path})`);
        for (const line of r.systemLogs) io.out(`  note: ${line}`);
      }
      return isTerminalJobState(r.state) ? exitCodeFor(r) === Exit.ok ? Exit.ok : Exit.failure : Exit.failure;
    } catch (err) {
      return jobCommandError(err, 'results', io);
    }
  },
};
