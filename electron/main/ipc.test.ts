import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpcChannel, IpcResult, NodeStatus, type RouteName } from '../../contract/index.ts';
import { removeDir, startAgent, type AgentProcess } from '../../test/support/agent-process.ts';
import { createAgentLink } from './agent-link.ts';
import { appUrl } from './app-origin.ts';
import { senderRefusal, setupIpc, type IpcMainLike, type IpcSender } from './ipc.ts';

/** Records handlers the way ipcMain does, so a test can invoke them as a renderer would. */
function recordingIpcMain() {
  const handlers = new Map<string, (event: IpcSender, ...args: unknown[]) => unknown>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const invoke = async (event: IpcSender, payload: unknown) => IpcResult.parse(await handlers.get(IpcChannel.apiCall)!(event, payload));
  return { ipc, handlers, invoke };
}

const APP_WC = 7;
const fromApp: IpcSender = { sender: { id: APP_WC }, senderFrame: { url: appUrl('main'), parent: null } };

describe('IPC sender check', () => {
  const trusted = new Set([APP_WC]);
  it('accepts the top frame of an app window showing an app page', () => {
    expect(senderRefusal(fromApp, trusted)).toBeNull();
    expect(senderRefusal({ sender: { id: APP_WC }, senderFrame: { url: appUrl('popover'), parent: null } }, trusted)).toBeNull();
  });
  it.each([
    ['another webContents', { sender: { id: 99 }, senderFrame: { url: appUrl('main'), parent: null } }, /not an app window/],
    ['a window that navigated to the web', { sender: { id: APP_WC }, senderFrame: { url: 'https://evil.example/', parent: null } }, /not the app/],
    ['a file:// page', { sender: { id: APP_WC }, senderFrame: { url: 'file:///etc/passwd', parent: null } }, /not the app/],
    ['a look-alike host', { sender: { id: APP_WC }, senderFrame: { url: 'phantom://app.evil/index.html', parent: null } }, /not the app/],
    ['credentials in the URL', { sender: { id: APP_WC }, senderFrame: { url: 'phantom://x@app/index.html', parent: null } }, /not the app/],
    ['a subframe', { sender: { id: APP_WC }, senderFrame: { url: appUrl('main'), parent: {} } }, /subframes/],
    ['a destroyed frame', { sender: { id: APP_WC }, senderFrame: null }, /gone/],
  ] as const)('refuses %s', (_name, event, why) => {
    expect(senderRefusal(event, trusted)).toMatch(why);
  });
});

describe('setupIpc against a real agent', () => {
  let agent: AgentProcess;
  const trusted = new Set([APP_WC]);
  const warnings: object[] = [];
  const forwarded: RouteName[] = [];
  const { ipc, handlers, invoke } = recordingIpcMain();

  beforeAll(async () => {
    agent = await startAgent({ timeoutMs: 55_000 }); // generous: CI machines run many suites at once
    const link = createAgentLink(agent.dataDir);
    setupIpc(ipc, {
      trustedContents: trusted,
      forward: (route, body) => {
        forwarded.push(route);
        return link.forward(route, body);
      },
      log: { warn: (obj) => warnings.push(obj) },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    if (agent) removeDir(agent.dataDir);
  });

  it('answers the app window with the agent\'s status', async () => {
    const res = await invoke(fromApp, { route: 'status' });
    expect(res.ok).toBe(true);
    const status = NodeStatus.parse((res as { data: unknown }).data);
    expect(status.dataDir).toBe(agent.dataDir);
  });

  it('refuses a foreign sender and changes nothing', async () => {
    const before = forwarded.length;
    const res = await invoke({ sender: { id: 99 }, senderFrame: { url: 'https://evil.example/', parent: null } }, { route: 'setLimits', body: { cpuPercent: 3 } });
    expect(res).toMatchObject({ ok: false, error: { status: 403 } });
    expect(forwarded.length).toBe(before);
    expect(warnings.at(-1)).toMatchObject({ channel: IpcChannel.apiCall });
    const limits = await invoke(fromApp, { route: 'getLimits' });
    expect((limits as { data: { cpuPercent: number } }).data.cpuPercent).not.toBe(3);
  });

  it('applies a valid change from the app', async () => {
    const res = await invoke(fromApp, { route: 'setLimits', body: { cpuPercent: 37 } });
    expect(res).toMatchObject({ ok: true, data: { cpuPercent: 37 } });
    const read = await createAgentLink(agent.dataDir).call('getLimits');
    expect(read.cpuPercent).toBe(37);
  });

  it.each([
    ['an unknown route', { route: 'rm -rf' }, 'route'],
    ['extra payload fields', { route: 'status', sneaky: true }, ''],
    ['a body that breaks the route\'s schema', { route: 'setLimits', body: { cpuPercent: 250 } }, 'cpuPercent'],
    ['a non-object payload', 'status', ''],
  ])('refuses %s with a message naming the field, before reaching the agent', async (_name, payload, field) => {
    const before = forwarded.length;
    const res = await invoke(fromApp, payload);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.status).toBe(400);
      expect(res.error.field ?? '').toBe(field);
      expect(res.error.message.length).toBeGreaterThan(0);
    }
    expect(forwarded.length).toBe(before);
  });

  it('passes the agent\'s own refusal through with its field (memory above the machine)', async () => {
    const status = NodeStatus.parse((await invoke(fromApp, { route: 'status' }) as { data: unknown }).data);
    const res = await invoke(fromApp, { route: 'setLimits', body: { memoryMiB: status.resources.memoryMiB + 1 } });
    expect(res).toMatchObject({ ok: false, error: { status: 400, field: 'memoryMiB' } });
  });

  it('registers exactly one channel', () => {
    expect([...handlers.keys()]).toEqual([IpcChannel.apiCall]);
  });
});

describe('agent link without an agent', () => {
  it('reports 503 with a message saying no agent runs', async () => {
    const res = await createAgentLink('/nonexistent/phantom-data').forward('status', undefined);
    expect(res).toMatchObject({ ok: false, error: { status: 503 } });
    if (!res.ok) expect(res.error.message).toMatch(/no Phantom Grid agent is running/);
  });
});
