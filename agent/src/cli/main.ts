import { commands } from './commands/index.ts';
import { Exit, UsageError, type CliIO } from './command.ts';
import { VERSION } from '../version.ts';

const USAGE = (): string =>
  [
    'usage: phantom <command> [options]',
    '',
    'Phantom Grid: donate spare CPU and memory to grid work that runs in a locked-down VM.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'Every command takes --help. The data dir is --data-dir, else $PHANTOM_DATA_DIR, else ~/.local/share/phantom-grid.',
  ].join('\n');

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE());
    return name ? Exit.ok : Exit.usage;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return Exit.ok;
  }
  // Two-word commands ("grid init") are registered under their full name.
  const command = commands.find((c) => c.name === name) ?? commands.find((c) => c.name === `${name} ${rest[0] ?? ''}`);
  if (!command) {
    io.err(`phantom: unknown command "${name}"\n\n${USAGE()}`);
    return Exit.usage;
  }
  const args = command.name.includes(' ') ? rest.slice(1) : rest;
  // Options end at "--": `phantom submit -- ls -h` runs `ls -h`, it does not ask for help.
  const optionArgs = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (optionArgs.includes('--help') || optionArgs.includes('-h')) {
    io.out(command.help);
    return Exit.ok;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`phantom ${command.name}: ${err.message}\n\n${command.help}`);
      return Exit.usage;
    }
    throw err;
  }
}

/** Entry point used by bin/phantom.js. */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<void> {
  const io: CliIO = {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
  };
  try {
    process.exitCode = await main(argv, io);
  } catch (err) {
    io.err(`phantom: ${(err as Error).message}`);
    process.exitCode = Exit.failure;
  }
}
