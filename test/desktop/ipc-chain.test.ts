// The Electron path end to end without an Electron binary: the renderer's one client over the
// preload's bridge, through main's sender-checked IPC handler, to a real agent process. Only the
// IPC hop itself (ipcRenderer.invoke → ipcMain.handle) is a direct function call here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpcChannel, type ApiCallPayload } from '../../contract/index.ts';
import { bridgeClient, ClientError, type ApiClient } from '../../renderer/src/api/client.ts';
import { createBridge } from '../../electron/preload/bridge.ts';
import { createAgentLink } from '../../electron/main/agent-link.ts';
import { appUrl } from '../../electron/main/app-origin.ts';
import { setupIpc, type IpcSender } from '../../electron/main/ipc.ts';
import { removeDir, startAgent, type AgentProcess } from '../support/agent-process.ts';

let agent: AgentProcess;
const handlers = new Map<string, (event: IpcSender, ...args: unknown[]) => unknown>();

/** A renderer in window `id` showing `url`, as main would see its calls. */
function rendererClient(id: number, url: string): ApiClient {
  const event: IpcSender = { sender: { id }, senderFrame: { url, parent: null } };
  return bridgeClient(createBridge(async (payload: ApiCallPayload) => handlers.get(IpcChannel.apiCall)!(event, structuredClone(payload))));
}

beforeAll(async () => {
  agent = await startAgent({ timeoutMs: 55_000 }); // generous: CI machines run many suites at once
  const link = createAgentLink(agent.dataDir);
  setupIpc({ handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) }, { trustedContents: new Set([1]), forward: (r, b) => link.forward(r, b), log: { warn: () => {} } });
});
afterAll(async () => {
  await agent?.stop();
  if (agent) removeDir(agent.dataDir);
});

describe('renderer client → preload bridge → main IPC → agent', () => {
  it('reads the status and changes a limit', async () => {
    const client = rendererClient(1, appUrl('main'));
    const status = await client.call('status');
    expect(status.dataDir).toBe(agent.dataDir);
    const limits = await client.call('setLimits', { cpuPercent: 45 });
    expect(limits.cpuPercent).toBe(45);
    expect((await createAgentLink(agent.dataDir).call('getLimits')).cpuPercent).toBe(45);
  });

  it('the agent\'s refusal reaches the page as a ClientError with status and field', async () => {
    const client = rendererClient(1, appUrl('popover'));
    const machine = (await client.call('status')).resources.memoryMiB;
    const err = await client.call('setLimits', { memoryMiB: machine + 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ status: 400, field: 'memoryMiB' });
    expect((err as Error).message).toMatch(/more than this machine has/);
  });

  it('a page that is not the app is refused and changes nothing', async () => {
    const before = await createAgentLink(agent.dataDir).call('getLimits');
    const err = await rendererClient(1, 'https://evil.example/').call('setLimits', { cpuPercent: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403 });
    expect(await createAgentLink(agent.dataDir).call('getLimits')).toEqual(before);
  });

  it('the bridge refuses a malformed call before it leaves the page', async () => {
    const bridge = createBridge(async () => {
      throw new Error('must not be sent');
    });
    await expect(bridge.call({ route: 'nope' } as unknown as ApiCallPayload)).rejects.toMatchObject({ status: 400, field: 'route' });
  });
});
