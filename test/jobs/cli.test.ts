// The job commands (the CLI's own main(), in this process) against the control API over real HTTP
// with the job service behind it; the scripted executor stands in for guests so this file stays
// fast. The same commands run as `phantom` processes with real guests in local-vm.test.ts and
// agent-jobs.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSummary } from '../../contract/index.ts';
import { main } from '../../agent/src/cli/main.ts';
import { startTesServer, TOKEN, type TesServer } from '../tes/support/tes-server.ts';
import { createScriptedExecutor, type ScriptedExecutor } from './support/scripted-executor.ts';
import { waitForJob } from './support/wait.ts';

let server: TesServer;
let executor: ScriptedExecutor;
let work: string;

beforeAll(async () => {
  executor = createScriptedExecutor({ slots: 4 });
  server = await startTesServer(executor);
  writeFileSync(join(server.dataDir, 'control.json'), JSON.stringify({ pid: process.pid, port: server.api.port, version: 'test', peerId: 'test' }));
  writeFileSync(join(server.dataDir, 'control.token'), `${TOKEN}\n`, { mode: 0o600 });
  work = mkdtempSync(join(tmpdir(), 'phantom-cli-jobs-'));
});
afterAll(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

async function phantom(args: string[], dataDir = server.dataDir): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main([args[0]!, '--data-dir', dataDir, ...args.slice(1)], { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), env: {} });
  return { code, stdout, stderr };
}

describe('phantom submit, jobs, results, cancel, logs', () => {
  it('submit --wait shows progress, prints the job output and exits with the job exit code', async () => {
    const ok = await phantom(['submit', '--wait', '--', 'echo', 'hello', 'grid']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('hello grid\n');
    expect(ok.stderr).toMatch(/^submitted job-[0-9a-f]{16}: echo hello grid$/m);
    expect(ok.stderr).toMatch(/COMPLETE/);

    const failed = await phantom(['submit', '--wait', '--', 'exit', '42']);
    expect(failed.code).toBe(42);
    expect(failed.stderr).toMatch(/ended EXECUTOR_ERROR \(exit code 42\)/);
  });

  it('submit --batch creates every job of a valid file, and none of a file with one bad job', async () => {
    writeFileSync(join(work, 'part-1.txt'), 'one\n');
    writeFileSync(join(work, 'part-2.txt'), 'two\n');
    writeFileSync(
      join(work, 'good.json'),
      JSON.stringify({
        version: 1,
        defaults: { mem: '128M', vo: 'physics', out: 'out/{name}' },
        jobs: [
          { name: 'p1', command: ['upper', 'part-1.txt', 'P.txt'], in: ['part-1.txt'] },
          { name: 'p2', command: ['upper', 'part-2.txt', 'P.txt'], in: ['part-2.txt'], cores: 2 },
        ],
      }),
    );
    const before = server.jobs.list().length;
    const r = await phantom(['submit', '--batch', join(work, 'good.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const jobs = (JSON.parse(r.stdout) as unknown[]).map((j) => JobSummary.parse(j));
    expect(jobs.map((j) => [j.name, j.vo, j.source])).toEqual([
      ['p1', 'physics', 'batch'],
      ['p2', 'physics', 'batch'],
    ]);
    for (const j of jobs) await waitForJob(server.jobs, j.id, 'terminal');
    expect(readFileSync(join(work, 'out', 'p1', 'P.txt'), 'utf8')).toBe('ONE\n');
    expect(readFileSync(join(work, 'out', 'p2', 'P.txt'), 'utf8')).toBe('TWO\n');
    expect(server.jobs.get(jobs[1]!.id).task.resources).toMatchObject({ cpu_cores: 2, ram_gb: 0.125 });

    writeFileSync(join(work, 'bad.json'), JSON.stringify({ version: 1, jobs: [{ command: ['echo', 'fine'] }, { command: ['echo'], in: ['missing.txt'] }] }));
    const bad = await phantom(['submit', '--batch', join(work, 'bad.json')]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/tasks\.1\.inputs\.0\.url: cannot read .*missing\.txt: ENOENT/);
    writeFileSync(join(work, 'malformed.json'), JSON.stringify({ version: 1, jobs: [{ command: 'echo hi' }] }));
    const malformed = await phantom(['submit', '--batch', join(work, 'malformed.json')]);
    expect(malformed.code).toBe(65);
    expect(malformed.stderr).toMatch(/jobs\.0\.command/);
    expect(server.jobs.list().length).toBe(before + 2);
  });

  it('jobs lists, cancel stops a running job, and results and logs report on it', async () => {
    const submitted = await phantom(['submit', '--name', 'long-one', '--', 'hold']);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    await executor.started(id);
    const table = await phantom(['jobs']);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+RUNNING 50%\\s+-\\s+\\S+\\s+long-one`));
    const notYet = await phantom(['results', id]);
    expect(notYet.code).toBe(1);
    expect(notYet.stdout).toMatch(/not finished/);

    const cancel = await phantom(['cancel', id]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/being canceled \(it was RUNNING\)/);
    await waitForJob(server.jobs, id, 'terminal');
    const again = await phantom(['cancel', id, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id, state: 'CANCELED', previous: 'CANCELED', changed: false });
    const logs = await phantom(['logs', id]);
    expect(logs.stderr).toMatch(/phantom: canceled by the user/);
  });

  it('refuses bad use with usage errors, unknown jobs with exit 1, and no agent with exit 3', async () => {
    const noCommand = await phantom(['submit', '--cores', '2']);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toMatch(/no command given/);
    const badMem = await phantom(['submit', '--mem', 'lots', '--', 'echo']);
    expect(badMem.code).toBe(2);
    expect(badMem.stderr).toMatch(/--mem: "lots" is not a size/);
    const badId = await phantom(['results', 'nope']);
    expect(badId.code).toBe(2);
    const unknown = await phantom(['logs', 'job-ffffffffffffffff']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no job job-ffffffffffffffff/);
    const refused = await phantom(['submit', '--', 'echo', 'x'], join(work, 'no-agent-here'));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/no Phantom Grid agent is running/);
  });
});
