// Jobs through a real agent process: `phantom submit/jobs/results/logs/cancel` and TES against
// `phantom agent`, real guests, then kill -9 of the agent and a restart: every job is still listed
// with its state, and its logs and results are still there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobSummary, type JobState } from '../../contract/index.ts';
import { buildGuestImage } from '../../guest/build-image.ts';
import { removeDir, repoRoot, runPhantom, startAgent, tempDataDir, type AgentProcess } from '../support/agent-process.ts';
import { schemaErrors } from '../tes/support/openapi.ts';

// The agent serves jobs once agent.ts wires createAgentJobs (agent/src/jobs/setup.ts).
const wired = readFileSync(join(repoRoot, 'agent/src/agent.ts'), 'utf8').includes('createAgentJobs');

let agent: AgentProcess;
let dataDir: string;
const work = tempDataDir('phantom-agentjobs-work-');

beforeAll(async () => {
  if (!wired) return;
  process.env.PHANTOM_GUEST_IMAGE = buildGuestImage().dir;
  dataDir = tempDataDir('phantom-agentjobs-');
  agent = await startAgent({ dataDir });
}, 120_000);
afterAll(async () => {
  if (agent && agent.proc.exitCode === null) await agent.stop();
  if (dataDir) removeDir(dataDir);
  rmSync(work, { recursive: true, force: true });
});

const phantom = (args: string[]) => runPhantom([args[0]!, '--data-dir', dataDir, ...args.slice(1)]);

async function listJobs(): Promise<JobSummary[]> {
  const r = await phantom(['jobs', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as unknown[]).map((j) => JobSummary.parse(j));
}

async function waitState(id: string, states: JobState[]): Promise<JobSummary> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = (await listJobs()).find((j) => j.id === id);
    if (job && states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`${id} is ${job?.state}, not ${states.join('/')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!wired)('jobs through a real agent (runs once agent.ts wires createAgentJobs)', () => {
  it('submits, lists, cancels and reports jobs, and keeps them all across kill -9 and a restart', async () => {
    // A dedicated node: the other work on a shared test machine must not count as an owner to yield to.
    const dedicated = await phantom(['limits', '--qos', 'off']);
    expect(dedicated.code, dedicated.stderr).toBe(0);
    writeFileSync(join(work, 'n.txt'), '5\n');
    const ok = await phantom(['submit', '--in', join(work, 'n.txt'), '--out', join(work, 'out'), '--wait', '--', 'sh', '-c', 'seq $(cat n.txt) > seq.txt; echo made']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('made');
    expect(readFileSync(join(work, 'out', 'seq.txt'), 'utf8')).toBe('1\n2\n3\n4\n5\n');

    const failing = await phantom(['submit', '--', 'sh', '-c', 'echo bad >&2; exit 4']);
    const failingId = failing.stdout.trim();
    expect((await waitState(failingId, ['EXECUTOR_ERROR'])).exitCode).toBe(4);

    const long = await phantom(['submit', '--name', 'long', '--', 'sleep', '600']);
    const longId = long.stdout.trim();
    await waitState(longId, ['RUNNING']);
    const cancel = await phantom(['cancel', longId]);
    expect(cancel.code, cancel.stderr).toBe(0);
    await waitState(longId, ['CANCELED']);
    expect((await phantom(['cancel', longId])).code).toBe(0);
    expect((await phantom(['cancel', failingId])).code).toBe(1);

    const tes = await fetch(`${agent.base}/ga4gh/tes/v1/tasks?view=BASIC`, { headers: { authorization: `Bearer ${agent.token}` } });
    expect(tes.status).toBe(200);
    const tasks = (await tes.json()) as { tasks: { id: string; state: string }[] };
    expect(schemaErrors('tesListTasksResponse', tasks)).toEqual([]);
    expect(tasks.tasks.map((t) => t.state)).toEqual(['CANCELED', 'EXECUTOR_ERROR', 'COMPLETE']);

    const before = await listJobs();
    expect(before).toHaveLength(3);
    agent.proc.kill('SIGKILL');
    await new Promise((r) => agent.proc.once('exit', r));
    agent = await startAgent({ dataDir });

    const after = await listJobs();
    expect(after.map((j) => [j.id, j.state, j.exitCode])).toEqual(before.map((j) => [j.id, j.state, j.exitCode]));
    const logs = await phantom(['logs', failingId]);
    expect(logs.stderr).toContain('bad');
    const results = await phantom(['results', before.at(-1)!.id]);
    expect(results.code).toBe(0);
    expect(results.stdout).toContain(join(work, 'out', 'seq.txt'));
  }, 400_000);
});
