/** One `phantom <name>` subcommand. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text printed for `phantom <name> --help`. */
  readonly help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Exit codes (sysexits-style where one fits). */
export const Exit = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The agent this command needs is not running. */
  noAgent: 3,
  dataErr: 65,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
