import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TesTaskRequest } from '../../contract/index.ts';
import { HttpError } from '../../agent/src/api/errors.ts';
import { silentLogger } from '../../agent/src/log.ts';
import { createJobService, type JobService } from '../../agent/src/jobs/service.ts';
import { createScriptedExecutor, type ScriptedExecutor } from './support/scripted-executor.ts';
import { waitForJob } from './support/wait.ts';

const dirs: string[] = [];
const services: JobService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(opts: { slots?: number; dataDir?: string; executor?: ScriptedExecutor } = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'phantom-jobs-'));
  const work = mkdtempSync(join(tmpdir(), 'phantom-work-'));
  if (!opts.dataDir) dirs.push(dataDir);
  dirs.push(work);
  const executor = opts.executor ?? createScriptedExecutor({ ...(opts.slots !== undefined ? { slots: opts.slots } : {}) });
  const jobs = createJobService({ dataDir, log: silentLogger(), executor });
  services.push(jobs);
  return { dataDir, work, executor, jobs };
}

const task = (command: string[], extra: Partial<TesTaskRequest> = {}): TesTaskRequest => ({ executors: [{ image: 'phantom-guest', command }], ...extra });

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('job service', () => {
  it('runs a job, delivers its declared output once, and keeps its logs', async () => {
    const { jobs, work } = setup();
    await jobs.start();
    const out = join(work, 'result', 'out.txt');
    const job = jobs.submit(
      task(['upper', 'in.txt', 'out.txt'], {
        name: 'shout',
        inputs: [{ path: '/job/in.txt', content: 'hello grid\n' }],
        outputs: [{ path: '/job/out.txt', url: pathToFileURL(out).href }],
      }),
    );
    expect(job.state).toBe('QUEUED');
    const done = await waitForJob(jobs, job.id, 'terminal');
    expect(done.state).toBe('COMPLETE');
    expect(done.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('HELLO GRID\n');
    const results = jobs.results(job.id);
    expect(results.outputs).toEqual([{ path: '/job/out.txt', url: pathToFileURL(out).href, sizeBytes: 11 }]);
    expect(results.deliveredAt).not.toBeNull();
    expect(jobs.stats().deliveries).toBe(1);
    expect(jobs.get(job.id).task.logs?.[0]?.outputs).toEqual([{ path: '/job/out.txt', url: pathToFileURL(out).href, size_bytes: '11' }]);
  });

  it('reports each journaled event, in the order of the job lifecycle', async () => {
    const { jobs } = setup();
    await jobs.start();
    const seen: string[] = [];
    const off = jobs.onEvents((events) => seen.push(...events.map((e) => (e.t === 'state' ? `state:${e.state}` : e.t))));
    const job = jobs.submit(task(['echo', 'x']));
    await waitForJob(jobs, job.id, 'terminal');
    off();
    expect(seen).toEqual(['created', 'attempt', 'state:INITIALIZING', 'state:RUNNING', 'result', 'delivered']);
  });

  it('snapshots file:// inputs at submission and collects only what the job made into a directory output', async () => {
    const { jobs, work } = setup();
    await jobs.start();
    writeFileSync(join(work, 'data.txt'), 'abc');
    const outDir = join(work, 'out');
    const job = jobs.submit(
      task(['write', 'made.txt', 'new', 'file'], {
        inputs: [{ path: '/job/data.txt', url: pathToFileURL(join(work, 'data.txt')).href }],
        outputs: [{ path: '/job', url: pathToFileURL(outDir).href, type: 'DIRECTORY' }],
      }),
    );
    writeFileSync(join(work, 'data.txt'), 'changed after submission');
    expect((await waitForJob(jobs, job.id, 'terminal')).state).toBe('COMPLETE');
    expect(readdirSync(outDir)).toEqual(['made.txt']);
    expect(readFileSync(join(outDir, 'made.txt'), 'utf8')).toBe('new file');
  });

  it('reports a job that fails for its own reasons with its exit code and stderr, without retrying it', async () => {
    const { jobs, executor } = setup();
    await jobs.start();
    const job = jobs.submit(task(['exit', '3']));
    const done = await waitForJob(jobs, job.id, 'terminal');
    expect(done).toMatchObject({ state: 'EXECUTOR_ERROR', exitCode: 3, attempts: 1 });
    expect(executor.runs.filter((r) => r.jobId === job.id)).toHaveLength(1);
    const logs = jobs.logs(job.id);
    expect(logs.executors[0]).toMatchObject({ exitCode: 3, stderr: 'exiting with 3\n' });
    expect(logs.systemLogs).toContain('executor 0 exited with code 3');
  });

  it('places a job again after a system failure and delivers one result', async () => {
    const { jobs } = setup();
    await jobs.start();
    const job = jobs.submit(task(['flaky', '3']));
    const done = await waitForJob(jobs, job.id, 'terminal');
    expect(done).toMatchObject({ state: 'COMPLETE', attempts: 3 });
    expect(jobs.logs(job.id).systemLogs.join('\n')).toMatch(/node lost \(attempt 1\).*\n.*node lost \(attempt 2\)/);
    expect(jobs.get(job.id).task.logs).toHaveLength(3);
    expect(jobs.stats().deliveries).toBe(1);
  });

  it('gives up with SYSTEM_ERROR after the last attempt instead of retrying forever', async () => {
    const { jobs } = setup();
    await jobs.start();
    const job = jobs.submit(task(['system-error', 'disk', 'full']));
    const done = await waitForJob(jobs, job.id, 'terminal');
    expect(done).toMatchObject({ state: 'SYSTEM_ERROR', attempts: 3 });
    expect(jobs.logs(job.id).systemLogs.at(-1)).toBe('disk full');
  });

  it('marks a declared output the job did not produce as an executor error', async () => {
    const { jobs, work } = setup();
    await jobs.start();
    const job = jobs.submit(task(['echo', 'hi'], { outputs: [{ path: '/job/missing.txt', url: pathToFileURL(join(work, 'm.txt')).href }] }));
    expect((await waitForJob(jobs, job.id, 'terminal')).state).toBe('EXECUTOR_ERROR');
    expect(jobs.results(job.id).systemLogs).toContain('declared output /job/missing.txt was not produced');
    expect(existsSync(join(work, 'm.txt'))).toBe(false);
  });

  it('runs executors in order, writes executor stdout to its file, and stops at the first failure', async () => {
    const { jobs, work } = setup();
    await jobs.start();
    const job = jobs.submit({
      outputs: [{ path: '/job/greeting', url: pathToFileURL(join(work, 'greeting')).href }],
      executors: [
        { image: 'phantom-guest', command: ['echo', 'one'], stdout: '/job/greeting' },
        { image: 'phantom-guest', command: ['exit', '4'], ignore_error: true },
        { image: 'phantom-guest', command: ['exit', '5'] },
        { image: 'phantom-guest', command: ['echo', 'never'] },
      ],
    });
    const done = await waitForJob(jobs, job.id, 'terminal');
    expect(done).toMatchObject({ state: 'EXECUTOR_ERROR', exitCode: 5 });
    expect(jobs.logs(job.id).executors.map((e) => e.exitCode)).toEqual([0, 4, 5]);
    expect(readFileSync(join(work, 'greeting'), 'utf8')).toBe('one\n');
  });

  it('cancels a queued job before it runs and a running job where it runs', async () => {
    const { jobs, executor } = setup({ slots: 1 });
    await jobs.start();
    const running = jobs.submit(task(['hold']));
    const queued = jobs.submit(task(['echo', 'never']));
    await executor.started(running.id);
    expect(jobs.get(queued.id).state).toBe('QUEUED');
    expect(jobs.cancel(queued.id)).toEqual({ id: queued.id, state: 'CANCELED', previous: 'QUEUED', changed: true });
    expect(jobs.cancel(running.id)).toMatchObject({ changed: true, state: 'CANCELING', previous: 'RUNNING' });
    expect((await waitForJob(jobs, running.id, 'terminal')).state).toBe('CANCELED');
    expect(executor.runs.map((r) => r.jobId)).toEqual([running.id]);
    expect(jobs.cancel(running.id)).toEqual({ id: running.id, state: 'CANCELED', previous: 'CANCELED', changed: false });
    expect(jobs.stats().deliveries).toBe(0);
  });

  it('keeps every job across a restart and places interrupted ones again', async () => {
    const first = setup({ slots: 1 });
    await first.jobs.start();
    const a = first.jobs.submit(task(['echo', 'a']));
    await waitForJob(first.jobs, a.id, 'terminal');
    const b = first.jobs.submit(task(['hold']));
    const c = first.jobs.submit(task(['echo', 'c']));
    await first.executor.started(b.id);
    await first.jobs.stop();
    services.splice(services.indexOf(first.jobs), 1);

    const second = setup({ slots: 1, dataDir: first.dataDir });
    await second.jobs.start();
    const listed = second.jobs.list();
    expect(listed.map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect(listed.find((j) => j.id === a.id)?.state).toBe('COMPLETE');
    const rerun = await second.executor.started(b.id);
    expect(rerun.attempt).toBe(2);
    second.executor.release(b.id);
    expect((await waitForJob(second.jobs, b.id, 'terminal')).state).toBe('COMPLETE');
    expect((await waitForJob(second.jobs, c.id, 'terminal')).state).toBe('COMPLETE');
    expect(second.jobs.logs(b.id).systemLogs).toContain('the agent stopped during attempt 1; placing it again');
    expect(second.jobs.list().every((j) => j.state === 'COMPLETE')).toBe(true);
  });

  it.each<[string, TesTaskRequest, string]>([
    ['a container image', task(['ls'], { executors: [{ image: 'ubuntu:20.04', command: ['ls'] }] }), 'executors.0.image'],
    ['an unknown guest version', task(['ls'], { executors: [{ image: 'phantom-guest:0123456789abcdef', command: ['ls'] }] }), 'executors.0.image'],
    ['an input outside /job', task(['ls'], { inputs: [{ path: '/etc/passwd', content: 'x' }] }), 'inputs.0.path'],
    ['a .. path', task(['ls'], { inputs: [{ path: '/job/../etc/x', content: 'x' }] }), 'inputs.0.path'],
    ['an s3 input', task(['ls'], { inputs: [{ path: '/job/x', url: 's3://bucket/x' }] }), 'inputs.0.url'],
    ['a missing input file', task(['ls'], { inputs: [{ path: '/job/x', url: 'file:///nonexistent/phantom/x' }] }), 'inputs.0.url'],
    ['a remote file URL', task(['ls'], { inputs: [{ path: '/job/x', url: 'file://otherhost/etc/hosts' }] }), 'inputs.0.url'],
    ['a gs output', task(['ls'], { outputs: [{ path: '/job/x', url: 'gs://bucket/x' }] }), 'outputs.0.url'],
    ['an output wildcard', task(['ls'], { outputs: [{ path: '/job/*.txt', url: 'file:///tmp/x' }] }), 'outputs.0.path'],
    ['a workdir outside /job', task(['ls'], { executors: [{ image: 'phantom-guest', command: ['ls'], workdir: '/root' }] }), 'executors.0.workdir'],
    ['stdin that is not an input', task(['ls'], { executors: [{ image: 'phantom-guest', command: ['cat'], stdin: '/job/none' }] }), 'executors.0.stdin'],
    ['a strict unknown backend parameter', task(['ls'], { resources: { backend_parameters: { VmSize: 'big' }, backend_parameters_strict: true } }), 'resources.backend_parameters.VmSize'],
  ])('refuses %s naming the field, and creates nothing', async (_what, bad, field) => {
    const { jobs, dataDir } = setup();
    await jobs.start();
    const err = refusal(() => jobs.submit(bad));
    expect(err.status).toBe(400);
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(jobs.list()).toEqual([]);
    expect(readdirSync(join(dataDir, 'jobs')).filter((n) => n.startsWith('job-'))).toEqual([]);
  });

  it("refuses inputs and outputs inside the agent's data dir (its token and key live there)", async () => {
    const { jobs, dataDir } = setup();
    await jobs.start();
    expect(refusal(() => jobs.submit(task(['ls'], { inputs: [{ path: '/job/t', url: pathToFileURL(join(dataDir, 'control.token')).href }] }))).field).toBe('inputs.0.url');
    expect(refusal(() => jobs.submit(task(['ls'], { outputs: [{ path: '/job/t', url: pathToFileURL(join(dataDir, 'x')).href }] }))).field).toBe('outputs.0.url');
  });

  it('ignores unsupported backend parameters unless strict, and says so', async () => {
    const { jobs } = setup();
    await jobs.start();
    const job = jobs.submit(task(['echo'], { resources: { backend_parameters: { VmSize: 'big', VO: 'physics' } } }));
    const detail = jobs.get(job.id);
    expect(detail.task.resources?.backend_parameters).toEqual({ VO: 'physics' });
    expect(detail.vo).toBe('physics');
    await waitForJob(jobs, job.id, 'terminal');
    expect(jobs.logs(job.id).systemLogs).toContain('backend parameter "VmSize" is not supported and was ignored');
  });

  it('accepts a batch whole or not at all, naming the bad task', async () => {
    const { jobs, dataDir } = setup();
    await jobs.start();
    const good = task(['echo', 'ok']);
    const err = refusal(() => jobs.submitBatch([good, good, task(['ls'], { executors: [{ image: 'debian', command: ['ls'] }] })]));
    expect(err.field).toBe('tasks.2.executors.0.image');
    expect(jobs.list()).toEqual([]);
    expect(readdirSync(join(dataDir, 'jobs')).filter((n) => n.startsWith('job-'))).toEqual([]);
    const batch = jobs.submitBatch([good, good, good]);
    expect(batch).toHaveLength(3);
    for (const j of batch) expect((await waitForJob(jobs, j.id, 'terminal')).state).toBe('COMPLETE');
  });
});
