// Jobs end to end on one machine: `phantom submit` (real CLI processes) and GA4GH TES (real HTTP)
// into the job service, which runs each job in a real guest (QEMU, TCG) through the VM host.
// Four jobs, four guest boots; two of them exercise the wrapper script, two the plain command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobResults, JobSummary } from '../../contract/index.ts';
import { createLocalVmExecutor } from '../../agent/src/jobs/local-vm-executor.ts';
import { silentLogger } from '../../agent/src/log.ts';
import { runPhantom } from '../support/agent-process.ts';
import { startTestHost, type TestHost } from '../vm/vm-support.ts';
import { schemaErrors } from '../tes/support/openapi.ts';
import { startTesServer, TOKEN, type TesServer } from '../tes/support/tes-server.ts';
import { waitForJob } from './support/wait.ts';

let vmHost: TestHost;
let server: TesServer;
let work: string;

beforeAll(async () => {
  vmHost = await startTestHost();
  const executor = createLocalVmExecutor({ host: vmHost.host, log: silentLogger(), node: 'this-node', slots: 2 });
  server = await startTesServer(executor);
  // What a running agent leaves for the CLI: where its control API is, and the token.
  writeFileSync(join(server.dataDir, 'control.json'), JSON.stringify({ pid: process.pid, port: server.api.port, version: 'test', peerId: 'this-node' }));
  writeFileSync(join(server.dataDir, 'control.token'), `${TOKEN}\n`, { mode: 0o600 });
  work = mkdtempSync(join(tmpdir(), 'phantom-vmjobs-'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await vmHost?.cleanup();
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

// --data-dir goes before the command's own `--`.
const phantom = (args: string[]) => runPhantom([args[0]!, '--data-dir', server.dataDir, ...args.slice(1)]);

async function tes(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.base}/ga4gh/tes/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

// Generous: each step starts a `phantom` process and a TCG guest on a shared 2-core machine.
describe('jobs in real guests', { timeout: 240_000 }, () => {
  it('phantom submit --in --out --wait runs the command, prints its output and delivers the files it made', async () => {
    const data = join(work, 'data.txt');
    writeFileSync(data, 'pear\napple\nfig\n');
    const out = join(work, 'out1');
    const r = await phantom(['submit', '--in', data, '--out', out, '--mem', '128M', '--wait', '--', 'sh', '-c', 'sort data.txt > sorted.txt; mkdir -p sub; echo deep > sub/x; wc -l < data.txt']);
    expect(r.stderr).toMatch(/COMPLETE/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('3');
    expect(readFileSync(join(out, 'sorted.txt'), 'utf8')).toBe('apple\nfig\npear\n');
    expect(readFileSync(join(out, 'sub', 'x'), 'utf8')).toBe('deep\n');
    // Results are what the job made: the untouched input and the wrapper's own files stay out.
    expect(readdirSync(out).sort()).toEqual(['sorted.txt', 'sub']);
  });

  it('phantom submit without --wait, then jobs --json, results and logs report a failing job', async () => {
    const submitted = await phantom(['submit', '--name', 'fails', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^job-[0-9a-f]{16}$/);
    await waitForJob(server.jobs, id, 'terminal', 60_000);

    const list = await phantom(['jobs', '--json']);
    const job = (JSON.parse(list.stdout) as unknown[]).map((j) => JobSummary.parse(j)).find((j) => j.id === id);
    expect(job).toMatchObject({ state: 'EXECUTOR_ERROR', exitCode: 3, name: 'fails', node: 'this-node' });

    const results = await phantom(['results', id, '--json']);
    expect(results.code).toBe(1);
    expect(JobResults.parse(JSON.parse(results.stdout))).toMatchObject({ state: 'EXECUTOR_ERROR', exitCode: 3, outputs: [] });

    const logs = await phantom(['logs', id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('to-out\n');
    expect(logs.stderr).toContain('to-err\n');
    expect(logs.stderr).toContain('phantom: executor 0 exited with code 3');
  });

  it('a TES task with several executors, inline input, an executor stdout file and file outputs', async () => {
    const outFile = join(work, 'tes', 'count.txt');
    const greeting = join(work, 'tes', 'greeting.txt');
    const task = {
      name: 'tes-multi',
      inputs: [{ path: '/job/in/words', content: 'one two three\nfour\n' }],
      outputs: [
        { path: '/job/count.txt', url: pathToFileURL(outFile).href },
        { path: '/job/greeting.txt', url: pathToFileURL(greeting).href },
      ],
      volumes: ['/job/shared'],
      executors: [
        { image: 'phantom-guest', command: ['sh', '-c', 'wc -w < in/words > shared/n; echo "hi $WHO"'], workdir: '/job', env: { WHO: 'tes' }, stdout: '/job/greeting.txt' },
        { image: 'phantom-guest', command: ['sh', '-c', 'cp ../shared/n ../count.txt; cat ../count.txt; echo warn >&2'], workdir: '/job/in' },
      ],
    };
    expect(schemaErrors('tesTask', task)).toEqual([]);
    const { id } = (await tes('POST', '/tasks', task)) as { id: string };
    await waitForJob(server.jobs, id, 'terminal', 60_000);
    const full = await tes('GET', `/tasks/${id}?view=FULL`);
    expect(schemaErrors('tesTask', full)).toEqual([]);
    expect(full.state, JSON.stringify(full.logs)).toBe('COMPLETE');
    const log = (full.logs as { logs: { exit_code: number; stdout: string; stderr: string }[]; outputs: unknown[] }[])[0]!;
    expect(log.logs.map((l) => [l.exit_code, l.stdout, l.stderr])).toEqual([
      [0, 'hi tes\n', ''],
      [0, '4\n', 'warn\n'],
    ]);
    expect(readFileSync(outFile, 'utf8')).toBe('4\n');
    expect(readFileSync(greeting, 'utf8')).toBe('hi tes\n');
    expect(log.outputs).toHaveLength(2);
  });

  it('a plain TES task with stdin from an input and a file output keeps the guest exit status', async () => {
    const dest = join(work, 'tes2', 'upper.txt');
    const { id } = (await tes('POST', '/tasks', {
      inputs: [{ path: '/job/text', content: 'quiet words\n' }],
      outputs: [{ path: '/job/upper.txt', url: pathToFileURL(dest).href }],
      executors: [{ image: `phantom-guest:${vmHost.host.image.version}`, command: ['sh', '-c', 'tr a-z A-Z | tee upper.txt; kill -TERM $$'], stdin: '/job/text' }],
    })) as { id: string };
    await waitForJob(server.jobs, id, 'terminal', 60_000);
    const full = await tes('GET', `/tasks/${id}?view=FULL`);
    expect(full.state).toBe('EXECUTOR_ERROR');
    const step = (full.logs as { logs: { exit_code: number; stdout: string }[] }[])[0]!.logs[0]!;
    expect(step).toMatchObject({ exit_code: 128 + 15, stdout: 'QUIET WORDS\n' });
    // The job failed, but what it did write is still delivered.
    expect(existsSync(dest) && readFileSync(dest, 'utf8')).toBe('QUIET WORDS\n');
  });
});
