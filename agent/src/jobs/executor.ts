/**
 * The seam between the job table (which owns states, persistence and delivery) and whatever runs
 * a job: a guest on this machine (LocalVmExecutor) or a node the broker picks over the overlay
 * (the grid executor). An executor never touches the journal; it reports through the observer and
 * its outcome, and the service decides what is recorded and delivered — once.
 */

/** One command of a job, as the guest runs it. Paths are relative to the guest's /job. */
export interface RunStep {
  readonly argv: readonly string[];
  /** Working directory relative to /job ('' = /job itself). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** A staged input (relative path) fed to stdin, or null. */
  readonly stdin: string | null;
  /** Relative paths the step's stdout/stderr are also written to, as TES asks. */
  readonly stdoutPath: string | null;
  readonly stderrPath: string | null;
  readonly ignoreError: boolean;
}

export interface RunInput {
  /** Relative to /job. */
  readonly path: string;
  /** The staged copy on this host (the service snapshots inputs at submission). */
  readonly file: string;
  readonly sizeBytes: number;
}

export interface RunOutput {
  /** Relative to /job; '' with kind DIRECTORY means the whole job directory. */
  readonly path: string;
  readonly kind: 'FILE' | 'DIRECTORY';
}

export interface RunResources {
  readonly cores: number;
  readonly memoryMiB: number;
  readonly diskMiB: number;
  readonly preemptible: boolean;
  readonly vo: string | null;
}

export interface JobRun {
  readonly jobId: string;
  /** Increases with every placement; a result is accepted only for the current attempt (fencing). */
  readonly attempt: number;
  /** Guest image version to boot (one of `images()`), or null for the newest. */
  readonly imageVersion: string | null;
  readonly steps: readonly RunStep[];
  readonly inputs: readonly RunInput[];
  readonly outputs: readonly RunOutput[];
  /** Directories to create empty before the first step (TES volumes), relative to /job. */
  readonly volumes: readonly string[];
  readonly resources: RunResources;
  /**
   * Empty directory the executor writes the job's output files into, mirroring their paths under
   * /job. The service delivers from here once the attempt's outcome is recorded.
   */
  readonly outputDir: string;
}

export interface StepLog {
  readonly exitCode: number;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export type RunOutcome =
  | {
      readonly kind: 'finished';
      /** One per step that ran, in order (later steps do not run after a failing one). */
      readonly steps: readonly StepLog[];
      /** Files written under outputDir, relative paths. */
      readonly outputs: readonly { readonly path: string; readonly sizeBytes: number }[];
    }
  /** The job could not run to an end for reasons of the system, not its own: worth placing again. */
  | { readonly kind: 'system_error'; readonly message: string; readonly retry: boolean }
  | { readonly kind: 'canceled' };

export interface RunObserver {
  /** Placed, preparing (booting a guest, moving inputs). */
  initializing(detail: { node: string }): void;
  /** The first step started. */
  running(): void;
  progress(fraction: number): void;
  /** A line for the task's system logs (e.g. "node X left; restarting from checkpoint"). */
  note(line: string): void;
}

export interface JobExecutor {
  readonly name: string;
  /** Guest image versions this executor can boot, newest first. */
  images(): readonly string[];
  /** How many jobs it runs at once. */
  slots(): number;
  /** Runs one attempt. Aborting the signal cancels it; the promise then resolves `canceled`. */
  run(run: JobRun, observer: RunObserver, signal: AbortSignal): Promise<RunOutcome>;
}
