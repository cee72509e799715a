import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { encodeRun, type GuestJob } from '../vm/guest-protocol.ts';
import type { JobResult } from '../vm/job-run.ts';
import type { Vm } from '../vm/vm.ts';
import type { VmHost } from '../vm/vm-host.ts';
import type { JobExecutor, JobRun, RunObserver, RunOutcome, StepLog } from './executor.ts';
import { readTar } from './tar.ts';

/**
 * Runs each job in a fresh guest on this machine through the VM host: one guest per attempt,
 * discarded afterwards. The guest agent runs one command per request and wipes /job between
 * requests, so a task that needs more than one command, a whole-directory output, TES
 * stdout/stderr files or volumes runs as one generated shell script: each step's streams and exit
 * code go to files, directory outputs come back as one tar. A plain one-command job is sent as is,
 * so its exit status (and signal) is the guest's own.
 */

export interface LocalVmExecutorOptions {
  readonly host: VmHost;
  readonly log: Logger;
  /** Names this machine in task logs (the node's peer id). */
  readonly node: string;
  /** Guests at once; under TCG each one keeps a core busy while it boots. */
  readonly slots?: number;
  readonly now?: () => number;
}

/** Where the wrapper keeps its own files inside the guest (under /job only at the very end). */
const META = '.phantom';
const MIN_GUEST_MIB = 64;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** True when the job needs the wrapper script rather than one plain guest command. */
function needsScript(run: JobRun): boolean {
  return run.steps.length > 1 || run.volumes.length > 0 || run.outputs.some((o) => o.kind === 'DIRECTORY') || run.steps.some((s) => s.stdoutPath || s.stderrPath);
}

/** The wrapper: steps in order, each in a subshell with its own cwd, env and stdin. */
export function wrapperScript(run: JobRun): { script: string; outputs: string[] } {
  const dirs = run.outputs.filter((o) => o.kind === 'DIRECTORY').map((o) => (o.path === '' ? '.' : o.path));
  const lines = ['set -u', 'P=/tmp/phantom-run', 'rm -rf "$P"; mkdir -p "$P"; : > "$P/rc"', 'failed=0'];
  for (const v of run.volumes) lines.push(`mkdir -p /job/${q(v)}`);
  run.steps.forEach((s, k) => {
    const env = Object.entries(s.env).map(([key, v]) => `export ${key}=${q(v)}; `).join('');
    const stdin = s.stdin ? `/job/${q(s.stdin)}` : '/dev/null';
    lines.push(
      'if [ "$failed" = 0 ]; then',
      `  t0=$(date +%s)`,
      `  ( cd /job/${q(s.cwd)} && ${env}exec ${s.argv.map(q).join(' ')} ) < ${stdin} > "$P/s${k}.out" 2> "$P/s${k}.err"`,
      '  rc=$?',
      `  echo "${k} $rc $t0 $(date +%s)" >> "$P/rc"`,
      ...(s.ignoreError ? [] : ['  [ "$rc" = 0 ] || failed=1']),
      ...[
        [s.stdoutPath, 'out'],
        [s.stderrPath, 'err'],
      ]
        .filter(([p]) => p)
        .map(([p, stream]) => `  mkdir -p "$(dirname /job/${q(p!)})" && cp "$P/s${k}.${stream}" /job/${q(p!)}`),
      'fi',
    );
  });
  if (dirs.length) lines.push(`(cd /job && tar cf "$P/out.tar" ${dirs.map(q).join(' ')}) || echo "tar failed: $?" >&2`);
  lines.push(`mkdir -p /job/${META} && mv "$P"/* /job/${META}/`);
  const outputs = [
    `${META}/rc`,
    ...run.steps.flatMap((_, k) => [`${META}/s${k}.out`, `${META}/s${k}.err`]),
    ...(dirs.length ? [`${META}/out.tar`] : []),
    ...run.outputs.filter((o) => o.kind === 'FILE').map((o) => o.path),
  ];
  return { script: lines.join('\n'), outputs };
}

export function createLocalVmExecutor(opts: LocalVmExecutorOptions): JobExecutor {
  const log = opts.log.child({ component: 'local-vm-executor' });
  const now = opts.now ?? Date.now;

  const files = (run: JobRun): NonNullable<GuestJob['files']> =>
    run.inputs.map((i) => ({ path: i.path, content: readFileSync(i.file), mode: statSync(i.file).mode & 0o111 ? 0o755 : 0o644 }));

  const save = (run: JobRun, path: string, content: Buffer) => {
    const to = join(run.outputDir, path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, content);
    return { path, sizeBytes: content.length };
  };

  const fileOutputs = (run: JobRun, result: JobResult, obs: RunObserver) => {
    const saved: { path: string; sizeBytes: number }[] = [];
    for (const o of run.outputs.filter((x) => x.kind === 'FILE')) {
      const f = result.files.find((x) => x.path === o.path);
      if (f?.status === 'ok') saved.push(save(run, o.path, f.content));
      else if (f && f.status !== 'missing') obs.note(`output /job/${o.path} not returned: ${f.status === 'too_large' ? 'larger than the 8 MiB a guest returns per file' : 'not a regular file'}`);
    }
    return saved;
  };

  /** The one request the guest gets; checked (and its size measured) before a guest is booted for it. */
  function guestJob(run: JobRun): { job: GuestJob; wrapped: boolean; outputs: string[] } {
    if (!needsScript(run)) {
      const step = run.steps[0]!;
      const stdin = step.stdin ? run.inputs.find((i) => i.path === step.stdin) : undefined;
      const outputs = run.outputs.map((o) => o.path);
      return {
        wrapped: false,
        outputs,
        job: {
          argv: [...step.argv],
          env: { ...step.env },
          ...(step.cwd ? { cwd: step.cwd } : {}),
          ...(stdin ? { stdin: readFileSync(stdin.file) } : {}),
          files: files(run),
          outputs,
        },
      };
    }
    const { script, outputs } = wrapperScript(run);
    return { wrapped: true, outputs, job: { argv: ['/bin/sh', '-c', script, 'phantom-job'], files: files(run), outputs } };
  }

  async function runIn(vm: Vm, run: JobRun, guest: GuestJob, wrapped: boolean, obs: RunObserver, signal: AbortSignal): Promise<RunOutcome> {
    const startedAt = now();
    if (!wrapped) {
      const job = vm.run(guest);
      obs.running();
      const onAbort = () => vm.cancel('SIGKILL');
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await job.result;
        if (signal.aborted) return { kind: 'canceled' };
        const exitCode = result.exit.code ?? 128 + (result.exit.signal ?? 0);
        const log: StepLog = { exitCode, stdout: result.stdout, stderr: result.stderr, startedAt, endedAt: now() };
        return { kind: 'finished', steps: [log], outputs: fileOutputs(run, result, obs) };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }

    const job = vm.run(guest);
    obs.running();
    const onAbort = () => vm.cancel('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    let result: JobResult;
    try {
      result = await job.result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) return { kind: 'canceled' };
    const got = new Map(result.files.filter((f) => f.status === 'ok').map((f) => [f.path, f.content]));
    const rc = got.get(`${META}/rc`);
    if (result.exit.code !== 0 || !rc) {
      return { kind: 'system_error', message: `the job wrapper failed in the guest (exit ${result.exit.code ?? `signal ${result.exit.signal}`}): ${result.stderr.toString().slice(-500)}`, retry: false };
    }
    const steps: StepLog[] = rc
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [k, code, t0, t1] = line.split(' ').map(Number) as [number, number, number, number];
        return {
          exitCode: code,
          stdout: got.get(`${META}/s${k}.out`) ?? Buffer.alloc(0),
          stderr: got.get(`${META}/s${k}.err`) ?? Buffer.alloc(0),
          startedAt: Number.isFinite(t0) ? t0 * 1000 : startedAt,
          endedAt: Number.isFinite(t1) ? t1 * 1000 : now(),
        };
      });
    const saved = fileOutputs(run, result, obs);
    const tar = got.get(`${META}/out.tar`);
    if (tar) {
      for (const entry of readTar(tar)) {
        const path = entry.path.replace(/^\.\//, '');
        if (path === '' || path.split('/').some((s) => s === '..' || s === '')) continue;
        if (!saved.some((s) => s.path === path)) saved.push(save(run, path, entry.content));
      }
    } else if (run.outputs.some((o) => o.kind === 'DIRECTORY')) {
      obs.note('directory outputs were not returned (larger than the 8 MiB a guest returns per file?)');
    }
    return { kind: 'finished', steps, outputs: saved };
  }

  return {
    name: 'local-vm',
    images: () => [opts.host.image.version],
    slots: () => opts.slots ?? 1,
    async run(run, obs, signal) {
      if (run.imageVersion !== null && run.imageVersion !== opts.host.image.version) {
        return { kind: 'system_error', message: `guest image ${run.imageVersion} is not on this node (it has ${opts.host.image.version})`, retry: false };
      }
      let prepared: ReturnType<typeof guestJob>;
      try {
        prepared = guestJob(run);
        encodeRun(prepared.job);
      } catch (err) {
        // The same request would be refused on any attempt: say why instead of retrying.
        return { kind: 'system_error', message: `the job cannot be sent to a guest: ${(err as Error).message}`, retry: false };
      }
      obs.initializing({ node: opts.node });
      let vm: Vm;
      try {
        vm = await opts.host.boot({ id: `${run.jobId}-a${run.attempt}`, vcpus: run.resources.cores, memoryMiB: Math.max(MIN_GUEST_MIB, run.resources.memoryMiB) });
      } catch (err) {
        return { kind: 'system_error', message: `the guest did not boot: ${(err as Error).message}`, retry: true };
      }
      if (signal.aborted) {
        await vm.shutdown().catch(() => undefined);
        return { kind: 'canceled' };
      }
      try {
        return await runIn(vm, run, prepared.job, prepared.wrapped, obs, signal);
      } catch (err) {
        if (signal.aborted) return { kind: 'canceled' };
        log.warn({ err, job: run.jobId, attempt: run.attempt }, 'guest run failed');
        return { kind: 'system_error', message: `the guest failed: ${(err as Error).message}`, retry: true };
      } finally {
        vm.kill();
        await vm.exited.catch(() => undefined);
      }
    },
  };
}
