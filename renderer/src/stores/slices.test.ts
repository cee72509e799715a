import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type DonationLimits, type JobSummary, type NodeStatus, type UsageSample } from '../../../contract/index.ts';
import { changedFields, useLimits } from './limits.ts';
import { tomorrowMorning, usePause } from './pause.ts';
import { createPrefs } from './prefs.ts';
import { useStatus } from './status.ts';
import { machineCpu, useUsage } from './usage.ts';
import { hostedHere, useJobs } from './jobs.ts';
import { refuse, tableClient } from './test-client.ts';

beforeEach(() => {
  useLimits.getState().reset();
  usePause.getState().reset();
  useStatus.getState().reset();
  useUsage.getState().reset();
  useJobs.getState().reset();
});

const limits = (over: Partial<DonationLimits> = {}): DonationLimits => ({ ...DEFAULT_LIMITS, ...over });

describe('limits slice', () => {
  it('loads what is in force as both saved and draft', async () => {
    const { client } = tableClient({ getLimits: () => limits({ cpuPercent: 40 }) });
    await useLimits.getState().load(client);
    expect(useLimits.getState()).toMatchObject({ saved: { cpuPercent: 40 }, draft: { cpuPercent: 40 }, save: 'idle' });
  });

  it('sends only the changed fields and marks them applied', async () => {
    let inForce = limits();
    const { client, calls } = tableClient({ getLimits: () => inForce, setLimits: (b) => (inForce = { ...inForce, ...(b as object) }) });
    const s = useLimits.getState();
    await s.load(client);
    s.edit({ cpuPercent: 70 });
    expect(useLimits.getState().save).toBe('pending');
    await useLimits.getState().apply(client);
    expect(calls.at(-1)).toEqual({ name: 'setLimits', body: { cpuPercent: 70 } });
    expect(useLimits.getState()).toMatchObject({ save: 'saved', saved: { cpuPercent: 70 }, error: null });
  });

  it('a refusal keeps the draft, names the field and changes nothing in force', async () => {
    const { client } = tableClient({ getLimits: () => limits(), setLimits: refuse('memoryMiB: 99999 MiB is more than this machine has', 400, 'memoryMiB') });
    await useLimits.getState().load(client);
    useLimits.getState().edit({ memoryMiB: 99999 });
    await useLimits.getState().apply(client);
    const st = useLimits.getState();
    expect(st.save).toBe('error');
    expect(st.error).toEqual({ message: 'memoryMiB: 99999 MiB is more than this machine has', field: 'memoryMiB' });
    expect(st.saved?.memoryMiB).toBeNull();
    expect(st.draft?.memoryMiB).toBe(99999);
    st.revert();
    expect(useLimits.getState()).toMatchObject({ draft: { memoryMiB: null }, error: null, save: 'idle' });
  });

  it('edits made while a change is in flight are kept and go out next', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client } = tableClient({ getLimits: () => limits(), setLimits: async (b) => (await gate, limits(b as Partial<DonationLimits>)) as never });
    await useLimits.getState().load(client);
    useLimits.getState().edit({ cpuPercent: 60 });
    const applying = useLimits.getState().apply(client);
    useLimits.getState().edit({ diskMiB: 2048 });
    release();
    await applying;
    expect(useLimits.getState()).toMatchObject({ save: 'pending', saved: { cpuPercent: 60 }, draft: { cpuPercent: 60, diskMiB: 2048 } });
  });

  it('nothing to send means no request', async () => {
    const { client, calls } = tableClient({ getLimits: () => limits() });
    await useLimits.getState().load(client);
    await useLimits.getState().apply(client);
    expect(calls.map((c) => c.name)).toEqual(['getLimits']);
    expect(changedFields(limits(), limits({ cores: [0, 1] }))).toEqual({ cores: [0, 1] });
  });
});

describe('pause slice', () => {
  it('pauses until a time, resumes, and reports a failed action', async () => {
    let state = { paused: false, until: null as string | null };
    const { client, calls } = tableClient({
      getPause: () => state,
      pause: (b) => (state = { paused: true, until: (b as { until: string | null }).until }),
      resume: () => (state = { paused: false, until: null }),
    });
    await usePause.getState().load(client);
    expect(usePause.getState().pause).toEqual({ paused: false, until: null });
    const until = new Date('2026-11-26T06:00:00.000Z');
    await usePause.getState().pauseUntil(client, until);
    expect(calls.at(-1)).toEqual({ name: 'pause', body: { until: until.toISOString() } });
    expect(usePause.getState().pause).toEqual({ paused: true, until: until.toISOString() });
    await usePause.getState().resume(client);
    expect(usePause.getState()).toMatchObject({ pause: { paused: false }, busy: false, error: null });
    const broken = tableClient({ pause: refuse('agent is stopping', 409) });
    await usePause.getState().pauseUntil(broken.client, null);
    expect(usePause.getState()).toMatchObject({ error: 'agent is stopping', busy: false });
  });

  it('a poll that was in flight during a resume does not bring the old state back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client } = tableClient({
      getPause: async () => (await gate, { paused: true, until: null }) as never,
      resume: () => ({ paused: false, until: null }),
    });
    const poll = usePause.getState().load(client);
    await usePause.getState().resume(client);
    release();
    await poll;
    expect(usePause.getState().pause).toEqual({ paused: false, until: null });
  });

  it('an agent without the pause routes turns the buttons off rather than erroring', async () => {
    await usePause.getState().load(tableClient({}).client);
    expect(usePause.getState()).toMatchObject({ unavailable: 'no such endpoint: getPause', error: null });
  });

  it('until tomorrow is 06:00 the next day', () => {
    const t = tomorrowMorning(new Date(2026, 0, 31, 22, 0));
    expect([t.getMonth(), t.getDate(), t.getHours()]).toEqual([1, 1, 6]);
  });
});

describe('status slice', () => {
  it('keeps the last status and says why a read failed', async () => {
    const status = { peerId: '12D3KooWx' } as NodeStatus;
    await useStatus.getState().refresh(tableClient({ status: () => status }).client);
    expect(useStatus.getState()).toMatchObject({ status, error: null, loading: false });
    await useStatus.getState().refresh(tableClient({ status: refuse('cannot reach the Phantom Grid agent; is it running?', 0) }).client);
    expect(useStatus.getState()).toMatchObject({ status, error: 'cannot reach the Phantom Grid agent; is it running?' });
  });
});

describe('usage slice', () => {
  const sample = (t: number, owner: number, grid: number): UsageSample => ({ t, cores: [{ owner, grid }, { owner: 0, grid }], ownerMemMiB: 100, gridMemMiB: 50 });

  it('loads samples and averages cores', async () => {
    await useUsage.getState().load(tableClient({ getUsage: () => ({ samples: [sample(1, 40, 10)] }) }).client);
    expect(useUsage.getState()).toMatchObject({ available: true, samples: [{ t: 1 }] });
    expect(machineCpu(sample(1, 40, 10))).toEqual({ owner: 20, grid: 10 });
  });

  it('an agent without usage sampling is "not available", not an error', async () => {
    await useUsage.getState().load(tableClient({}).client);
    expect(useUsage.getState()).toMatchObject({ available: false, error: null });
  });
});

describe('prefs slice', () => {
  it('remembers the theme in its storage', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const prefs = createPrefs(storage);
    expect(prefs.getState().theme).toBe('system');
    prefs.getState().setTheme('dark');
    expect(createPrefs(storage).getState().theme).toBe('dark');
    store.set('phantom.theme', 'neon');
    expect(createPrefs(storage).getState().theme).toBe('system');
  });
});

describe('jobs slice', () => {
  const job = (id: string, over: Partial<JobSummary> = {}): JobSummary => ({
    id, name: null, state: 'RUNNING', source: 'cli', command: ['echo', id], createdAt: `2026-11-25T08:0${id.length % 10}:00Z`, updatedAt: '2026-11-25T08:00:00Z',
    attempts: 1, exitCode: null, progress: null, node: 'me', vo: null, ...over,
  });

  it('lists jobs newest first and cancels one', async () => {
    let jobs = [job('job-aaaaaa', { createdAt: '2026-11-25T08:00:00Z' }), job('job-bbbbbb', { createdAt: '2026-11-25T09:00:00Z' })];
    const { client, calls } = tableClient({
      listJobs: () => ({ jobs }),
      cancelJob: (b) => {
        const id = (b as { id: string }).id;
        jobs = jobs.map((j) => (j.id === id ? { ...j, state: 'CANCELED' as const } : j));
        return { id, state: 'CANCELED', previous: 'RUNNING', changed: true };
      },
    });
    await useJobs.getState().load(client);
    expect(useJobs.getState().jobs.map((j) => j.id)).toEqual(['job-bbbbbb', 'job-aaaaaa']);
    await useJobs.getState().cancel(client, 'job-aaaaaa');
    expect(calls.filter((c) => c.name === 'cancelJob')).toEqual([{ name: 'cancelJob', body: { id: 'job-aaaaaa' } }]);
    expect(useJobs.getState()).toMatchObject({ cancelling: [], error: null });
    expect(useJobs.getState().jobs.find((j) => j.id === 'job-aaaaaa')?.state).toBe('CANCELED');
  });

  it('a refused cancel says so; an agent without jobs is "not available"', async () => {
    await useJobs.getState().cancel(tableClient({ cancelJob: refuse('job-x is not yours', 403) }).client, 'job-xxxxxx');
    expect(useJobs.getState().error).toMatch(/could not cancel job-xxxxxx: job-x is not yours/);
    await useJobs.getState().load(tableClient({}).client);
    expect(useJobs.getState().available).toBe(false);
  });

  it('hosted here = running on this node', () => {
    const jobs = [job('job-a1a1a1'), job('job-b2b2b2', { node: 'other' }), job('job-c3c3c3', { state: 'COMPLETE' }), job('job-d4d4d4', { state: 'QUEUED' })];
    expect(hostedHere(jobs, 'me').map((j) => j.id)).toEqual(['job-a1a1a1']);
  });
});
