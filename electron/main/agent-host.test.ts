import { describe, expect, it } from 'vitest';
import { createAgentHost, delayFor, DEFAULT_BACKOFF, type AgentChild, type HostState, type HostTimers } from './agent-host.ts';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: HostTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const next = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      pending.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = until;
  };
  return { timers, advance, pending };
}

/** Stands in for a process behind the SpawnAgent interface (the real spawners are tested in test/desktop). */
function fakeSpawner() {
  const children: Array<AgentChild & { exit(code: number | null): void; kills: boolean[] }> = [];
  const spawn = (args: readonly string[]) => {
    let listener: ((code: number | null) => void) | null = null;
    const child = {
      pid: 1000 + children.length,
      args,
      kills: [] as boolean[],
      onExit: (l: (code: number | null) => void) => void (listener = l),
      kill: (force?: boolean) => void child.kills.push(force ?? false),
      exit: (code: number | null) => listener?.(code),
    };
    children.push(child);
    return child;
  };
  return { spawn, children };
}

const quietLog = { info: () => {}, warn: () => {} };

describe('agent host', () => {
  it('starts `phantom agent` with the data dir', () => {
    const { spawn, children } = fakeSpawner();
    const host = createAgentHost({ spawn, dataDir: '/d', extraArgs: ['--api-port', '0'], log: quietLog, timers: manualTimers().timers });
    host.start();
    expect((children[0] as unknown as { args: string[] }).args).toEqual(['agent', '--data-dir', '/d', '--api-port', '0']);
    expect(host.state).toMatchObject({ kind: 'running', pid: 1000 });
  });

  it('restarts after a crash with exponentially growing, capped delays', () => {
    const { spawn, children } = fakeSpawner();
    const { timers, advance } = manualTimers();
    const states: HostState[] = [];
    const host = createAgentHost({ spawn, dataDir: '/d', log: quietLog, timers, onState: (s) => states.push(s) });
    host.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      children.at(-1)!.exit(1);
      const s = host.state;
      expect(s.kind).toBe('backoff');
      if (s.kind !== 'backoff') return;
      delays.push(s.retryAt - timers.now());
      advance(s.retryAt - timers.now() - 1);
      expect(children.length).toBe(i + 1); // not yet
      advance(1);
      expect(children.length).toBe(i + 2);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(states.filter((s) => s.kind === 'backoff').length).toBe(8);
  });

  it('starts the backoff over after a healthy run', () => {
    const { spawn, children } = fakeSpawner();
    const { timers, advance } = manualTimers();
    const host = createAgentHost({ spawn, dataDir: '/d', log: quietLog, timers });
    host.start();
    children[0]!.exit(1);
    advance(500);
    children[1]!.exit(1);
    expect(host.state).toMatchObject({ kind: 'backoff', crashes: 2 });
    advance(1000);
    advance(DEFAULT_BACKOFF.healthyAfterMs);
    children[2]!.exit(1);
    expect(host.state).toMatchObject({ kind: 'backoff', crashes: 1 });
  });

  it('stop cancels a pending restart', async () => {
    const { spawn, children } = fakeSpawner();
    const { timers, advance, pending } = manualTimers();
    const host = createAgentHost({ spawn, dataDir: '/d', log: quietLog, timers });
    host.start();
    children[0]!.exit(null);
    await host.stop();
    expect(pending.size).toBe(0);
    advance(60_000);
    expect(children.length).toBe(1);
    expect(host.state.kind).toBe('stopped');
  });

  it('stop asks the agent to exit, does not restart it, and kills it after the grace period', async () => {
    const { spawn, children } = fakeSpawner();
    const { timers, advance } = manualTimers();
    const host = createAgentHost({ spawn, dataDir: '/d', log: quietLog, timers });
    host.start();
    const stopped = host.stop();
    expect(children[0]!.kills).toEqual([false]);
    advance(DEFAULT_BACKOFF.stopGraceMs);
    expect(children[0]!.kills).toEqual([false, true]);
    children[0]!.exit(null);
    await stopped;
    advance(60_000);
    expect(children.length).toBe(1);
    expect(host.state.kind).toBe('stopped');
  });

  it('delayFor is capped', () => {
    expect(delayFor(1, DEFAULT_BACKOFF)).toBe(500);
    expect(delayFor(100, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF.maxMs);
  });
});
