import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../agent/src/log.ts';
import { createJobService } from '../../agent/src/jobs/service.ts';
import { createScriptedExecutor } from './support/scripted-executor.ts';
import { waitForJob } from './support/wait.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('job table under kill -9', () => {
  it('keeps every acknowledged job after the submitter is killed mid-stream, and runs each to one result', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'phantom-crash-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, [new URL('./support/crash-child.ts', import.meta.url).pathname, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Killed while it is still submitting, with jobs queued, running, canceled and done.
        if (out.split('\n').filter((l) => /^job-/.test(l)).length > 40) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited early: ${err}`)));
    });
    expect(await exited).toBe('SIGKILL');
    const acknowledged = out.split('\n').filter((l) => /^job-/.test(l));
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);

    const executor = createScriptedExecutor({ slots: 8 });
    const jobs = createJobService({ dataDir, log: silentLogger(), executor });
    await jobs.start();
    try {
      const listed = new Map(jobs.list().map((j) => [j.id, j]));
      for (const id of acknowledged) expect(listed.has(id), `${id} was acknowledged but is gone`).toBe(true);
      for (const id of listed.keys()) {
        const j = jobs.get(id);
        if (j.state === 'RUNNING' || j.state === 'INITIALIZING') {
          await executor.started(id);
          executor.release(id);
        }
      }
      // Release holds as jobs get placed, until everything has ended.
      const pending = [...listed.keys()];
      const off = jobs.onChange((j) => {
        if (j.state === 'RUNNING') setImmediate(() => executor.release(j.id));
      });
      for (const id of pending) {
        if (jobs.get(id).state === 'RUNNING') executor.release(id);
        await waitForJob(jobs, id, 'terminal');
      }
      off();
      const ended = jobs.list();
      expect(ended.every((j) => j.state === 'COMPLETE' || j.state === 'CANCELED')).toBe(true);
      // A kill between "submitted" and "canceled" may lose the cancel, never an acknowledged one.
      const canceled = out.split('\n').filter((l) => l.startsWith('canceled ')).map((l) => l.slice('canceled '.length));
      expect(canceled.length).toBeGreaterThan(0);
      for (const id of canceled) expect(jobs.get(id).state, `${id}: its cancel was acknowledged`).toBe('CANCELED');
      expect(jobs.stats().deliveries).toBe(ended.filter((j) => j.state === 'COMPLETE').length);
    } finally {
      await jobs.stop();
    }
  });

  it('drops a torn last journal line (a write cut by the kill) and keeps the rest', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'phantom-torn-'));
    dirs.push(dataDir);
    const first = createJobService({ dataDir, log: silentLogger(), executor: createScriptedExecutor() });
    await first.start();
    const a = first.submit({ executors: [{ image: 'phantom-guest', command: ['echo', 'a'] }] });
    await waitForJob(first, a.id, 'terminal');
    await first.stop();
    appendFileSync(join(dataDir, 'jobs', 'journal.jsonl'), '{"v":1,"n":999,"e":{"t":"created","at":1,"jobs":[{"id":"job-to');

    const second = createJobService({ dataDir, log: silentLogger(), executor: createScriptedExecutor() });
    await second.start();
    expect(second.list().map((j) => [j.id, j.state])).toEqual([[a.id, 'COMPLETE']]);
    const b = second.submit({ executors: [{ image: 'phantom-guest', command: ['echo', 'b'] }] });
    await waitForJob(second, b.id, 'terminal');
    await second.stop();
    expect(readFileSync(join(dataDir, 'jobs', 'journal.jsonl'), 'utf8')).not.toContain('job-to');

    const third = createJobService({ dataDir, log: silentLogger(), executor: createScriptedExecutor() });
    await third.start();
    expect(third.list().map((j) => j.state)).toEqual(['COMPLETE', 'COMPLETE']);
    await third.stop();
  });
});
