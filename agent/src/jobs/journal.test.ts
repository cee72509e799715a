import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../log.ts';
import { openJournal } from './journal.ts';
import type { JobInit } from './table.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const job = (id: string, seq: number): JobInit => ({
  id,
  seq,
  source: 'cli',
  createdAt: 0,
  notes: [],
  task: { executors: [{ image: 'phantom-guest', command: ['true'] }] },
  plan: { imageVersion: null, steps: [], inputs: [], outputs: [], volumes: [], resources: { cores: 1, memoryMiB: 256, diskMiB: 1024, preemptible: true, vo: null } },
});

describe('job journal', () => {
  it('accepts one result per job, only from the current attempt, and counts one delivery', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-journal-'));
    dirs.push(dir);
    const j = openJournal({ dir, log: silentLogger() });
    j.append({ t: 'created', at: 1, jobs: [job('job-aaaaaaaa', 1)] });
    j.append({ t: 'attempt', at: 2, id: 'job-aaaaaaaa', attempt: 1 }, { t: 'requeued', at: 3, id: 'job-aaaaaaaa', reason: 'node lost' }, { t: 'attempt', at: 4, id: 'job-aaaaaaaa', attempt: 2 });
    const pending = (attempt: number) => ({ attempt, final: 'COMPLETE' as const, files: [] });
    // A late result of the superseded attempt changes nothing.
    j.append({ t: 'result', at: 5, id: 'job-aaaaaaaa', attempt: 1, steps: [], pending: pending(1) });
    expect(j.table.get('job-aaaaaaaa')!.pending).toBeNull();
    j.append({ t: 'result', at: 6, id: 'job-aaaaaaaa', attempt: 2, steps: [], pending: pending(2) });
    j.append({ t: 'result', at: 7, id: 'job-aaaaaaaa', attempt: 2, steps: [], pending: pending(2) });
    j.append({ t: 'delivered', at: 8, id: 'job-aaaaaaaa', attempt: 2 }, { t: 'delivered', at: 9, id: 'job-aaaaaaaa', attempt: 2 });
    const r = j.table.get('job-aaaaaaaa')!;
    expect(r).toMatchObject({ state: 'COMPLETE', deliveries: 1, attempt: 2 });
    j.close();
  });

  it('compacts into a snapshot and replays snapshot plus journal to the same table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-journal-'));
    dirs.push(dir);
    const j = openJournal({ dir, log: silentLogger(), compactBytes: 4096 });
    for (let i = 0; i < 40; i++) j.append({ t: 'created', at: i, jobs: [job(`job-${String(i).padStart(8, '0')}`, i + 1)] }, { t: 'attempt', at: i, id: `job-${String(i).padStart(8, '0')}`, attempt: 1 });
    expect(existsSync(join(dir, 'snapshot.json'))).toBe(true);
    expect(statSync(join(dir, 'journal.jsonl')).size).toBeLessThan(4096);
    const before = JSON.stringify([...j.table.values()]);
    j.close();
    const again = openJournal({ dir, log: silentLogger() });
    expect(JSON.stringify([...again.table.values()])).toBe(before);
    expect(again.table.size).toBe(40);
    again.close();
  });
});
