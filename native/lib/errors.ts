import { constants } from 'node:os';

/** A system call in the addon failed; `errno` is the positive C errno, `code` its name. */
export class NativeError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(message: string, errno: number, syscall: string) {
    super(message);
    this.name = 'NativeError';
    this.errno = errno;
    this.code = errnoName(errno);
    this.syscall = syscall;
  }
}

/** The compiled addon could not be loaded; the message says how to build it. */
export class NativeAddonMissingError extends Error {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(`native addon not available at ${path} (${why}); build it with \`npm run build:native\` (needs g++, make and python3: run scripts/install-system-deps.sh)`, { cause });
    this.name = 'NativeAddonMissingError';
    this.path = path;
  }
}

/** No backend for this operating system yet (only Linux has one). */
export class UnsupportedPlatformError extends Error {
  readonly platform: string;
  constructor(platform: string) {
    super(`unsupported on this OS: ${platform}`);
    this.name = 'UnsupportedPlatformError';
    this.platform = platform;
  }
}

/** A bad argument, rejected before anything reaches the addon; `argument` names it. */
export class NativeArgumentError extends TypeError {
  readonly argument: string;
  constructor(argument: string, problem: string) {
    super(`${argument}: ${problem}`);
    this.name = 'NativeArgumentError';
    this.argument = argument;
  }
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `ERRNO_${errno}`;
}
