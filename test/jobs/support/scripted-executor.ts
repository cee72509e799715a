import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobExecutor, JobRun, RunObserver, RunOutcome, StepLog } from '../../../agent/src/jobs/executor.ts';

/**
 * A JobExecutor test double: it interprets a few commands over an in-memory /job instead of
 * booting a guest, so the job table's logic (states, retries, cancel, delivery, recovery) is tested
 * in milliseconds. The real executors (LocalVmExecutor, the grid's) run the same service in the
 * suite's guest tests. Commands:
 *   echo ARGS…           print ARGS
 *   cat FILE…            print files
 *   upper IN OUT         write IN upper-cased to OUT
 *   write FILE TEXT      write TEXT to FILE
 *   exit N               exit with N
 *   hold                 run until release(jobId) or cancel
 *   system-error MSG     fail as the system (retry)
 *   flaky N              system error on attempts < N, then print "ok"
 */
export interface ScriptedExecutor extends JobExecutor {
  release(jobId: string): void;
  /** Resolves once a job's attempt has started running. */
  started(jobId: string): Promise<JobRun>;
  readonly runs: JobRun[];
}

export function createScriptedExecutor(opts: { images?: string[]; slots?: number; clock?: () => number } = {}): ScriptedExecutor {
  const images = opts.images ?? ['00000000000000aa', '00000000000000bb'];
  const now = opts.clock ?? Date.now;
  const holds = new Map<string, () => void>();
  const startWaiters = new Map<string, ((r: JobRun) => void)[]>();
  const startedRuns = new Map<string, JobRun>();
  const runs: JobRun[] = [];

  async function run(job: JobRun, obs: RunObserver, signal: AbortSignal): Promise<RunOutcome> {
    runs.push(job);
    obs.initializing({ node: 'scripted-node' });
    const fs = new Map<string, Buffer>();
    for (const input of job.inputs) fs.set(input.path, readFileSync(input.file));
    for (const v of job.volumes) fs.set(`${v}/.keep`, Buffer.alloc(0));
    obs.running();
    startedRuns.set(job.jobId, job);
    for (const w of startWaiters.get(job.jobId) ?? []) w(job);
    startWaiters.delete(job.jobId);
    const steps: StepLog[] = [];
    for (const step of job.steps) {
      const startedAt = now();
      let out = '';
      let err = '';
      let code = 0;
      const [cmd, ...args] = step.argv;
      const at = (p: string) => (step.cwd ? `${step.cwd}/${p}` : p);
      switch (cmd) {
        case 'echo':
          out = `${args.join(' ')}\n`;
          break;
        case 'cat':
          for (const a of args.length ? args : []) {
            const f = fs.get(at(a));
            if (f) out += f.toString();
            else {
              err += `cat: ${a}: No such file or directory\n`;
              code = 1;
            }
          }
          if (!args.length && step.stdin) out = fs.get(step.stdin)?.toString() ?? '';
          break;
        case 'upper': {
          const f = fs.get(at(args[0]!));
          if (!f) {
            err = `upper: ${args[0]}: missing\n`;
            code = 2;
          } else fs.set(at(args[1]!), Buffer.from(f.toString().toUpperCase()));
          break;
        }
        case 'write':
          fs.set(at(args[0]!), Buffer.from(args.slice(1).join(' ')));
          break;
        case 'exit':
          code = Number(args[0]);
          err = `exiting with ${code}\n`;
          break;
        case 'hold':
          obs.progress(0.5);
          await new Promise<void>((resolve) => {
            holds.set(job.jobId, resolve);
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
          holds.delete(job.jobId);
          if (signal.aborted) return { kind: 'canceled' };
          out = 'released\n';
          break;
        case 'system-error':
          return { kind: 'system_error', message: args.join(' ') || 'scripted system error', retry: true };
        case 'flaky':
          if (job.attempt < Number(args[0])) return { kind: 'system_error', message: `node lost (attempt ${job.attempt})`, retry: true };
          out = 'ok\n';
          break;
        default:
          err = `${cmd}: command not found\n`;
          code = 127;
      }
      if (step.stdoutPath) fs.set(step.stdoutPath, Buffer.from(out));
      steps.push({ exitCode: code, stdout: Buffer.from(out), stderr: Buffer.from(err), startedAt, endedAt: now() });
      if (code !== 0 && !step.ignoreError) break;
    }
    // Like the guest: only declared outputs come back.
    const outputs: { path: string; sizeBytes: number }[] = [];
    for (const o of job.outputs) {
      const matches = o.kind === 'FILE' ? [...fs.keys()].filter((p) => p === o.path) : [...fs.keys()].filter((p) => o.path === '' || p.startsWith(`${o.path}/`));
      for (const p of matches) {
        const to = join(job.outputDir, p);
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, fs.get(p)!);
        outputs.push({ path: p, sizeBytes: fs.get(p)!.length });
      }
    }
    return { kind: 'finished', steps, outputs };
  }

  return {
    name: 'scripted',
    images: () => images,
    slots: () => opts.slots ?? 4,
    run,
    runs,
    release(jobId) {
      holds.get(jobId)?.();
    },
    started(jobId) {
      const r = startedRuns.get(jobId);
      if (r) return Promise.resolve(r);
      return new Promise((resolve) => startWaiters.set(jobId, [...(startWaiters.get(jobId) ?? []), resolve]));
    },
  };
}
