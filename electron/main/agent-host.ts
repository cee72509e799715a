/**
 * Hosts the agent as a separate process (utilityProcess in the app, a child process in tests) and
 * restarts it with exponential backoff when it dies. No grid logic here: the agent is a black box
 * found through its data dir (control.json, control.token).
 */

/** One running agent process, whatever started it. */
export interface AgentChild {
  readonly pid: number | undefined;
  onExit(listener: (code: number | null) => void): void;
  /** Ask it to stop (SIGTERM: the agent shuts down cleanly); `force` kills it. */
  kill(force?: boolean): void;
}

/** Starts `phantom agent <args>`; the spawner decides how (utilityProcess, child_process). */
export type SpawnAgent = (args: readonly string[]) => AgentChild;

export interface HostTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: HostTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** A run longer than this counts as healthy: the next crash starts the backoff again. */
  readonly healthyAfterMs: number;
  /** Grace between SIGTERM and SIGKILL on stop. */
  readonly stopGraceMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, factor: 2, healthyAfterMs: 60_000, stopGraceMs: 10_000 };

export type HostState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'running'; readonly pid: number | undefined; readonly since: number }
  /** It crashed; the next start is due at `retryAt`. */
  | { readonly kind: 'backoff'; readonly crashes: number; readonly lastExitCode: number | null; readonly retryAt: number };

export interface HostLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AgentHostOptions {
  readonly spawn: SpawnAgent;
  readonly dataDir: string;
  /** Extra `phantom agent` flags (e.g. --api-port). */
  readonly extraArgs?: readonly string[];
  readonly timers?: HostTimers;
  readonly backoff?: Partial<Backoff>;
  readonly log: HostLog;
  readonly onState?: (state: HostState) => void;
}

export interface AgentHost {
  start(): void;
  /** Stops the agent and any pending restart; resolves once the process has exited. */
  stop(): Promise<void>;
  readonly state: HostState;
}

export function delayFor(crashes: number, b: Backoff): number {
  return Math.min(b.maxMs, b.initialMs * b.factor ** Math.max(0, crashes - 1));
}

export function createAgentHost(opts: AgentHostOptions): AgentHost {
  const timers = opts.timers ?? realTimers;
  const backoff: Backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const args = ['agent', '--data-dir', opts.dataDir, ...(opts.extraArgs ?? [])];
  let state: HostState = { kind: 'stopped' };
  let child: AgentChild | null = null;
  let retry: unknown = null;
  let crashes = 0;
  let stopping = false;
  let exited: (() => void) | null = null;

  const setState = (next: HostState) => {
    state = next;
    opts.onState?.(next);
  };

  const launch = () => {
    retry = null;
    const since = timers.now();
    const proc = opts.spawn(args);
    child = proc;
    setState({ kind: 'running', pid: proc.pid, since });
    opts.log.info({ pid: proc.pid }, 'agent started');
    proc.onExit((code) => {
      if (child !== proc) return;
      child = null;
      if (stopping) {
        setState({ kind: 'stopped' });
        exited?.();
        return;
      }
      if (timers.now() - since >= backoff.healthyAfterMs) crashes = 0;
      crashes += 1;
      const delay = delayFor(crashes, backoff);
      opts.log.warn({ code, crashes, delayMs: delay }, 'agent exited unexpectedly; restarting');
      setState({ kind: 'backoff', crashes, lastExitCode: code, retryAt: timers.now() + delay });
      retry = timers.setTimeout(launch, delay);
    });
  };

  return {
    get state() {
      return state;
    },
    start() {
      if (child || retry !== null) return;
      stopping = false;
      crashes = 0;
      launch();
    },
    async stop() {
      stopping = true;
      if (retry !== null) {
        timers.clearTimeout(retry);
        retry = null;
      }
      const proc = child;
      if (!proc) {
        setState({ kind: 'stopped' });
        return;
      }
      await new Promise<void>((done) => {
        const force = timers.setTimeout(() => proc.kill(true), backoff.stopGraceMs);
        exited = () => {
          timers.clearTimeout(force);
          exited = null;
          done();
        };
        proc.kill();
      });
    },
  };
}
