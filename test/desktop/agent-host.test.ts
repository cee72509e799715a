// The agent host with the real child-process spawner: a real `phantom agent` is killed with
// SIGKILL and comes back on its own, then stops cleanly.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgentHost, type HostState } from '../../electron/main/agent-host.ts';
import { childProcessSpawner } from '../../electron/main/agent-spawners.ts';
import { createAgentLink } from '../../electron/main/agent-link.ts';
import { phantomBin, removeDir, tempDataDir } from '../support/agent-process.ts';

const dataDir = tempDataDir('phantom-host-');
afterAll(() => removeDir(dataDir));

async function until<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('agent host with a real agent process', () => {
  it('restarts a killed agent and stops it cleanly', async () => {
    const states: HostState[] = [];
    const host = createAgentHost({
      spawn: childProcessSpawner(spawn, process.execPath, phantomBin),
      dataDir,
      backoff: { initialMs: 200 },
      log: { info: () => {}, warn: () => {} },
      onState: (s) => states.push(s),
    });
    const link = createAgentLink(dataDir, { timeoutMs: 2000 });
    const control = join(dataDir, 'control.json');
    host.start();
    try {
      const first = await until('the first agent', async () => (await link.call('status').catch(() => null)) && host.state.kind === 'running' && host.state.pid);
      const firstPid = JSON.parse(readFileSync(control, 'utf8')).pid as number;
      expect(firstPid).toBe(first);

      process.kill(first, 'SIGKILL');
      await until('the crash to be seen', () => states.some((s) => s.kind === 'backoff'));
      const second = await until('a restarted agent', async () => {
        if (host.state.kind !== 'running' || host.state.pid === first) return null;
        const s = await link.call('status').catch(() => null);
        return s && existsSync(control) && JSON.parse(readFileSync(control, 'utf8')).pid === host.state.pid ? host.state.pid : null;
      });
      expect(second).not.toBe(first);
      expect(states.find((s) => s.kind === 'backoff')).toMatchObject({ crashes: 1 });
    } finally {
      await host.stop();
    }
    expect(host.state.kind).toBe('stopped');
    // A clean stop removes control.json; the CLI then says no agent runs.
    expect(existsSync(control)).toBe(false);
  });
});
