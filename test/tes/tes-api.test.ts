import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTesLanListener, createTesMount } from '../../agent/src/api/tes.ts';
import { silentLogger } from '../../agent/src/log.ts';
import { createScriptedExecutor, type ScriptedExecutor } from '../jobs/support/scripted-executor.ts';
import { waitForJob } from '../jobs/support/wait.ts';
import { queryErrors, schemaErrors } from './support/openapi.ts';
import { startTesServer, TOKEN, type TesServer } from './support/tes-server.ts';

const TES = '/ga4gh/tes/v1';
let server: TesServer;
let executor: ScriptedExecutor;
let work: string;

beforeAll(async () => {
  executor = createScriptedExecutor({ slots: 2 });
  server = await startTesServer(executor);
  work = mkdtempSync(join(tmpdir(), 'phantom-tes-work-'));
});
afterAll(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

interface Res {
  status: number;
  json: Record<string, unknown>;
}

/** One TES call; the request is checked against the OpenAPI document before it is sent. */
async function tes(method: 'GET' | 'POST', path: string, opts: { query?: Record<string, string | string[]>; body?: unknown; rawBody?: string; token?: string | null; opPath?: string } = {}): Promise<Res> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) for (const x of [v].flat()) query.append(k, x);
  const qs = query.toString();
  const res = await fetch(`${server.base}${TES}${path}${qs ? `?${qs}` : ''}`, {
    method,
    headers: {
      ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }),
      ...(opts.body !== undefined || opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.rawBody !== undefined ? { body: opts.rawBody } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A valid request per the OpenAPI document (asserted), then sent. */
async function createTask(task: Record<string, unknown>): Promise<string> {
  expect(schemaErrors('tesTask', task)).toEqual([]);
  const res = await tes('POST', '/tasks', { body: task });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(schemaErrors('tesCreateTaskResponse', res.json)).toEqual([]);
  return res.json.id as string;
}

async function getTask(id: string, view?: 'MINIMAL' | 'BASIC' | 'FULL'): Promise<Record<string, unknown>> {
  const query: Record<string, string> = view ? { view } : {};
  expect(queryErrors('/tasks/{id}', 'GET', new URLSearchParams(query))).toEqual([]);
  const res = await tes('GET', `/tasks/${id}`, { query });
  expect(res.status).toBe(200);
  expect(schemaErrors('tesTask', res.json, { view: view ?? 'MINIMAL' })).toEqual([]);
  return res.json;
}

async function listTasks(query: Record<string, string | string[]>): Promise<{ tasks: Record<string, unknown>[]; next_page_token?: string }> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) params.append(k, x);
  expect(queryErrors('/tasks', 'GET', params)).toEqual([]);
  const res = await tes('GET', '/tasks', { query });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(schemaErrors('tesListTasksResponse', res.json, { view: (query.view as 'BASIC' | undefined) ?? 'MINIMAL' })).toEqual([]);
  if (query.view !== undefined && query.view !== 'MINIMAL') expect(schemaErrors('tesListTasksResponse', res.json)).toEqual([]);
  return res.json as { tasks: Record<string, unknown>[]; next_page_token?: string };
}

const taskCount = () => server.jobs.list().length;

describe('GA4GH TES 1.1', () => {
  it('GET service-info describes the service per the schema', async () => {
    const res = await tes('GET', '/service-info');
    expect(res.status).toBe(200);
    expect(schemaErrors('tesServiceInfo', res.json)).toEqual([]);
    expect(res.json).toMatchObject({ type: { group: 'org.ga4gh', artifact: 'tes', version: '1.1.0' }, storage: ['file:///'], tesResources_backend_parameters: ['vo'] });
  });

  it('requires the bearer token on every endpoint', async () => {
    for (const [method, path] of [['GET', '/service-info'], ['GET', '/tasks'], ['POST', '/tasks'], ['GET', '/tasks/job-0000000000000000'], ['POST', '/tasks/job-0000000000000000:cancel']] as const) {
      expect((await tes(method, path, { token: null })).status).toBe(401);
      expect((await tes(method, path, { token: 'b'.repeat(64) })).status).toBe(401);
    }
  });

  it('creates a task with inputs by content and by file URL, runs it, and returns outputs and executor logs', async () => {
    const inputFile = join(work, 'names.txt');
    await import('node:fs').then((fs) => fs.writeFileSync(inputFile, 'ada\ngrace\n'));
    const id = await createTask({
      name: 'tes-roundtrip',
      description: 'upper-cases a file',
      inputs: [
        { name: 'names', path: '/job/names.txt', url: pathToFileURL(inputFile).href, type: 'FILE' },
        { path: '/job/note.txt', content: 'inline note' },
      ],
      outputs: [{ name: 'shout', path: '/job/NAMES.txt', url: pathToFileURL(join(work, 'out', 'NAMES.txt')).href, type: 'FILE' }],
      resources: { cpu_cores: 1, ram_gb: 0.25, preemptible: true },
      executors: [
        { image: 'phantom-guest', command: ['upper', 'names.txt', 'NAMES.txt'], workdir: '/job', env: { LANG: 'C' } },
        { image: 'phantom-guest', command: ['cat', 'note.txt'], workdir: '/job' },
      ],
      tags: { WORKFLOW_ID: 'wf-1' },
    });
    await waitForJob(server.jobs, id, 'terminal');
    expect(readFileSync(join(work, 'out', 'NAMES.txt'), 'utf8')).toBe('ADA\nGRACE\n');

    const full = await getTask(id, 'FULL');
    expect(full).toMatchObject({ id, state: 'COMPLETE', name: 'tes-roundtrip', tags: { WORKFLOW_ID: 'wf-1' } });
    const logs = full.logs as { logs: { exit_code: number; stdout?: string }[]; outputs: { path: string; size_bytes: string }[]; system_logs?: string[] }[];
    expect(logs).toHaveLength(1);
    expect(logs[0]!.logs.map((l) => l.exit_code)).toEqual([0, 0]);
    expect(logs[0]!.logs[1]!.stdout).toBe('inline note');
    expect(logs[0]!.outputs).toEqual([{ path: '/job/NAMES.txt', url: pathToFileURL(join(work, 'out', 'NAMES.txt')).href, size_bytes: '10' }]);
    expect(logs[0]!.system_logs).toEqual([]);
    expect((full.inputs as { content?: string }[])[1]!.content).toBe('inline note');
    expect(typeof full.creation_time).toBe('string');
  });

  it('GET tasks/{id} honours MINIMAL (the default), BASIC and FULL', async () => {
    const id = await createTask({ inputs: [{ path: '/job/a', content: 'secret-ish' }], executors: [{ image: 'phantom-guest', command: ['exit', '7'] }] });
    await waitForJob(server.jobs, id, 'terminal');
    const minimal = await getTask(id);
    expect(minimal).toEqual({ id, state: 'EXECUTOR_ERROR' });
    expect(await getTask(id, 'MINIMAL')).toEqual(minimal);

    const basic = await getTask(id, 'BASIC');
    expect(basic.executors).toBeDefined();
    expect((basic.inputs as Record<string, unknown>[])[0]).toEqual({ path: '/job/a' });
    const basicLog = (basic.logs as { logs: Record<string, unknown>[]; system_logs?: unknown }[])[0]!;
    expect(basicLog.logs[0]).not.toHaveProperty('stdout');
    expect(basicLog.logs[0]).not.toHaveProperty('stderr');
    expect(basicLog.logs[0]!.exit_code).toBe(7);
    expect(basicLog).not.toHaveProperty('system_logs');

    const full = await getTask(id, 'FULL');
    const fullLog = (full.logs as { logs: Record<string, unknown>[]; system_logs: string[] }[])[0]!;
    expect(fullLog.logs[0]!.stderr).toBe('exiting with 7\n');
    expect(fullLog.system_logs).toContain('executor 0 exited with code 7');
    expect((full.inputs as Record<string, unknown>[])[0]!.content).toBe('secret-ish');
  });

  it('GET tasks pages through every task once, filters by name prefix, state and tags, and applies the view', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createTask({ name: `page-test-${i}`, tags: { batch: 'paging', n: String(i) }, executors: [{ image: 'phantom-guest', command: ['echo', String(i)] }] }));
    for (const id of ids) await waitForJob(server.jobs, id, 'terminal');

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await listTasks({ name_prefix: 'page-test-', page_size: '2', ...(token ? { page_token: token } : {}) });
      for (const t of page.tasks) {
        expect(Object.keys(t).sort()).toEqual(['id', 'state']);
        seen.push(t.id as string);
      }
      token = page.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const basic = await listTasks({ name_prefix: 'page-test-', view: 'BASIC' });
    expect(basic.tasks.map((t) => t.name)).toEqual(ids.map((_, i) => `page-test-${i}`).reverse());
    const tagged = await listTasks({ tag_key: ['batch', 'n'], tag_value: ['paging', '3'], view: 'FULL' });
    expect(tagged.tasks.map((t) => t.id)).toEqual([ids[3]]);
    const anyValue = await listTasks({ tag_key: 'n' });
    expect(anyValue.tasks).toHaveLength(5);
    const complete = await listTasks({ state: 'COMPLETE', name_prefix: 'page-test-' });
    expect(complete.tasks).toHaveLength(5);
    expect((await listTasks({ state: 'RUNNING', name_prefix: 'page-test-' })).tasks).toEqual([]);
  });

  it('POST tasks/{id}:cancel cancels a queued or running task and answers per the schema', async () => {
    const id = await createTask({ name: 'to-cancel', executors: [{ image: 'phantom-guest', command: ['hold'] }] });
    await executor.started(id);
    expect((await getTask(id)).state).toBe('RUNNING');
    const res = await tes('POST', `/tasks/${id}:cancel`);
    expect(res.status).toBe(200);
    expect(schemaErrors('tesCancelTaskResponse', res.json)).toEqual([]);
    await waitForJob(server.jobs, id, 'terminal');
    expect(await getTask(id)).toEqual({ id, state: 'CANCELED' });
    const encoded = await tes('POST', `/tasks/${id}%3Acancel`);
    expect(encoded.status).toBe(200);
  });

  it('answers 404 for an unknown task and 405 for a wrong method', async () => {
    expect((await tes('GET', '/tasks/job-ffffffffffffffff')).status).toBe(404);
    expect((await tes('POST', '/tasks/job-ffffffffffffffff:cancel')).status).toBe(404);
    expect((await tes('POST', '/service-info')).status).toBe(405);
    expect((await tes('GET', '/tasks/nope:cancel')).status).toBe(405);
  });

  const big = 'x'.repeat(600 * 1024);
  it.each<[string, { body?: unknown; rawBody?: string }, string]>([
    ['a body that is not JSON', { rawBody: '{"executors": [' }, ''],
    ['no executors', { body: { name: 'x' } }, 'executors'],
    ['an empty executor list', { body: { executors: [] } }, 'executors'],
    ['a command that is a string', { body: { executors: [{ image: 'phantom-guest', command: 'ls -l' }] } }, 'executors.0.command'],
    ['an executor without image', { body: { executors: [{ command: ['ls'] }] } }, 'executors.0.image'],
    ['a container image', { body: { executors: [{ image: 'ubuntu:20.04', command: ['ls'] }] } }, 'executors.0.image'],
    ['an input without url or content', { body: { inputs: [{ path: '/job/x' }], executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'inputs.0.url'],
    ['oversized inline content', { body: { inputs: [{ path: '/job/x', content: big }], executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'inputs.0.content'],
    ['too many inputs', { body: { inputs: Array.from({ length: 257 }, (_, i) => ({ path: `/job/${i}`, content: 'x' })), executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'inputs'],
    ['an overlong name', { body: { name: 'n'.repeat(300), executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'name'],
    ['a negative core count', { body: { resources: { cpu_cores: -1 }, executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'resources.cpu_cores'],
    ['a non-string env value', { body: { executors: [{ image: 'phantom-guest', command: ['ls'], env: { A: 1 } }] } }, 'executors.0.env.A'],
    ['an output outside /job', { body: { outputs: [{ path: '/tmp/x', url: 'file:///tmp/x' }], executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'outputs.0.path'],
    ['an http input', { body: { inputs: [{ path: '/job/x', url: 'https://example.com/x' }], executors: [{ image: 'phantom-guest', command: ['ls'] }] } }, 'inputs.0.url'],
  ])('POST tasks refuses %s with 400 naming the field, and creates nothing', async (_what, req, field) => {
    const before = taskCount();
    const res = await tes('POST', '/tasks', req);
    expect(res.status).toBe(400);
    const error = res.json.error as { message: string; field?: string };
    if (field) {
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    } else expect(error.message).toMatch(/JSON/);
    expect(taskCount()).toBe(before);
  });

  it('refuses a task document over the 1 MiB body limit before reading it, creating nothing', async () => {
    const before = taskCount();
    const res = await tes('POST', '/tasks', { body: { inputs: [{ path: '/job/x', content: 'y'.repeat(1100 * 1024) }], executors: [{ image: 'phantom-guest', command: ['ls'] }] } });
    expect(res.status).toBe(413);
    expect(taskCount()).toBe(before);
  });

  it.each([
    [{ page_size: '5000' }, 'page_size'],
    [{ page_size: '0' }, 'page_size'],
    [{ page_size: 'ten' }, 'page_size'],
    [{ view: 'EVERYTHING' }, 'view'],
    [{ state: 'DONE' }, 'state'],
    [{ page_token: 'bm90LWEtdG9rZW4' }, 'page_token'],
  ])('GET tasks refuses bad query %j with 400 naming it', async (query, field) => {
    const res = await tes('GET', '/tasks', { query });
    expect(res.status).toBe(400);
    expect((res.json.error as { field?: string }).field).toBe(field);
  });

  it('keeps every task and its state across a restart of the service', async () => {
    const held = await createTask({ name: 'held-over-restart', executors: [{ image: 'phantom-guest', command: ['hold'] }] });
    await executor.started(held);
    const before = await listTasks({ view: 'FULL', page_size: '2047' });
    expect(before.tasks.length).toBeGreaterThan(5);
    await server.stop();
    server = await startTesServer(executor, server.dataDir);
    const after = await listTasks({ view: 'FULL', page_size: '2047' });
    expect(after.tasks.map((t) => t.id)).toEqual(before.tasks.map((t) => t.id));
    // Ended tasks come back exactly as they were; the one interrupted mid-run is placed again.
    const ended = (l: typeof before) => l.tasks.filter((t) => t.id !== held);
    expect(ended(after)).toEqual(ended(before));
    expect(ended(after).every((t) => ['COMPLETE', 'EXECUTOR_ERROR', 'CANCELED'].includes(t.state as string))).toBe(true);
    await executor.started(held);
    const again = await getTask(held, 'FULL');
    expect(again.state).toBe('RUNNING');
    expect((again.logs as { system_logs: string[] }[])[0]!.system_logs).toContain('the agent stopped during attempt 1; placing it again');
    executor.release(held);
    await waitForJob(server.jobs, held, 'terminal');
    expect((await getTask(held)).state).toBe('COMPLETE');
  });
});

describe('TES on a LAN address (off by default)', () => {
  it('serves TES alone to the token holder, and refuses browsers', async () => {
    // 127.0.0.2 stands in for a LAN address: loopback, but not the control API's address.
    const lan = createTesLanListener({ mount: createTesMount({ jobs: server.jobs, serviceId: 'org.phantomgrid.test', version: '0.1.0-test' }), token: TOKEN, host: '127.0.0.2', port: 0, log: silentLogger() });
    const { port } = await lan.start();
    try {
      const base = `http://127.0.0.2:${port}`;
      const ok = await fetch(`${base}${TES}/tasks?view=MINIMAL`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(schemaErrors('tesListTasksResponse', await ok.json(), { view: 'MINIMAL' })).toEqual([]);
      expect((await fetch(`${base}${TES}/service-info`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      expect((await fetch(`${base}${TES}/service-info`, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })).status).toBe(403);
    } finally {
      await lan.stop();
    }
  });
});
