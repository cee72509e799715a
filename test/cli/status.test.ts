import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeStatus } from '../../contract/index.ts';
import { removeDir, runPhantom, startAgent, tempDataDir, type AgentProcess } from '../support/agent-process.ts';

describe('phantom status', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgent();
  });
  afterAll(async () => {
    await agent.stop();
    removeDir(agent.dataDir);
  });

  it('shows the running agent for people', async () => {
    const r = await runPhantom(['status', '--data-dir', agent.dataDir]);
    expect(r.code).toBe(0);
    const peerId = (JSON.parse((await runPhantom(['status', '--json', '--data-dir', agent.dataDir])).stdout) as NodeStatus).peerId;
    expect(r.stdout).toContain(peerId);
    expect(r.stdout).toMatch(/\d+ cores/);
    expect(r.stdout).toMatch(/running/);
  });

  it('prints validated JSON with --json, also when the data dir comes from the environment', async () => {
    const r = await runPhantom(['status', '--json'], { PHANTOM_DATA_DIR: agent.dataDir });
    expect(r.code).toBe(0);
    const status = NodeStatus.parse(JSON.parse(r.stdout));
    expect(status.dataDir).toBe(agent.dataDir);
    expect(status.state).toBe('running');
  });

  it('keeps the same node identity across restarts', async () => {
    const before = NodeStatus.parse(JSON.parse((await runPhantom(['status', '--json', '--data-dir', agent.dataDir])).stdout));
    await agent.stop();
    agent = await startAgent({ dataDir: agent.dataDir });
    const after = NodeStatus.parse(JSON.parse((await runPhantom(['status', '--json', '--data-dir', agent.dataDir])).stdout));
    expect(after.peerId).toBe(before.peerId);
  });

  it('sets limits and refuses bad ones without changing anything', async () => {
    const ok = await runPhantom(['limits', '--cpu', '40', '--cores', '0', '--json', '--data-dir', agent.dataDir]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ cpuPercent: 40, cores: [0] });
    const bad = await runPhantom(['limits', '--cpu', '101', '--data-dir', agent.dataDir]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/cpuPercent/);
    const usage = await runPhantom(['limits', '--cpu', 'lots', '--data-dir', agent.dataDir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--cpu/);
    const now = await runPhantom(['limits', '--json', '--data-dir', agent.dataDir]);
    expect(JSON.parse(now.stdout)).toMatchObject({ cpuPercent: 40, cores: [0] });
  });
});

describe('phantom status with no agent', () => {
  it('says so and exits non-zero', async () => {
    const dir = tempDataDir();
    try {
      const r = await runPhantom(['status', '--data-dir', dir]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no Phantom Grid agent is running/);
      expect(r.stderr).toMatch(/phantom agent/);
    } finally {
      removeDir(dir);
    }
  });

  it('notices an agent that died without cleaning up', async () => {
    const agent = await startAgent();
    agent.proc.kill('SIGKILL');
    await new Promise((r) => agent.proc.once('exit', r));
    const r = await runPhantom(['status', '--data-dir', agent.dataDir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/has exited/);
    removeDir(agent.dataDir);
  });

  it('runs without the native addon and says why and how to fix it', async () => {
    const agent = await startAgent({ env: { PHANTOM_NATIVE_ADDON: '/nonexistent/phantom_native.node' } });
    try {
      const r = await runPhantom(['status', '--json', '--data-dir', agent.dataDir]);
      expect(r.code).toBe(0);
      const status = NodeStatus.parse(JSON.parse(r.stdout));
      expect(status.state).toBe('running');
      expect(status.nativeAddonError).toMatch(/nonexistent/);
      expect(status.nativeAddonError).toMatch(/build:native|build-native/);
      const human = await runPhantom(['status', '--data-dir', agent.dataDir]);
      expect(human.stdout).toMatch(/warning/);
    } finally {
      await agent.stop();
      removeDir(agent.dataDir);
    }
  });

  it('rejects unknown commands and options with usage', async () => {
    expect((await runPhantom(['frobnicate'])).code).toBe(2);
    const r = await runPhantom(['status', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bogus/);
  });
});
