import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DonationLimits, DonationLimitsPatch, NodeStatus, ResourceDescription } from '../../contract/index.ts';
import { createControlApi, type ControlApi } from './api/server.ts';
import { createSessions, loadOrCreateToken } from './api/auth.ts';
import { HttpError } from './api/errors.ts';
import { writeFileAtomic } from './config/atomic-write.ts';
import { dataFiles } from './config/paths.ts';
import { ConfigError, createConfigStore } from './config/store.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { createLibp2pHost } from './net/libp2p-host.ts';
import { describeResources } from './resources/describe.ts';
import { loadNativeStatus } from './native-status.ts';
import { VERSION } from './version.ts';

export interface AgentOptions {
  readonly dataDir: string;
  readonly log: Logger;
  /** Built renderer to serve (browser fallback). */
  readonly uiDir?: string;
  readonly apiPort?: number;
  readonly p2pListen?: readonly string[];
  readonly now?: () => number;
}

/** What a running agent writes into its data dir so the CLI and the app can find it. */
export interface ControlFile {
  readonly pid: number;
  readonly port: number;
  readonly version: string;
  readonly peerId: string;
}

/** Limits the schema cannot judge alone: they must fit this machine. */
function checkFitsMachine(limits: DonationLimits, machine: ResourceDescription): void {
  if (limits.memoryMiB !== null && limits.memoryMiB > machine.memoryMiB) {
    throw new ConfigError(`memoryMiB: ${limits.memoryMiB} MiB is more than this machine has (${machine.memoryMiB} MiB)`, 'memoryMiB');
  }
  const badCore = limits.cores?.find((c) => c >= machine.cores);
  if (badCore !== undefined) {
    throw new ConfigError(`cores: core ${badCore} does not exist (this machine has cores 0–${machine.cores - 1})`, 'cores');
  }
}

export async function createAgent(opts: AgentOptions) {
  const now = opts.now ?? Date.now;
  const log = opts.log;
  const files = dataFiles(opts.dataDir);
  const startedAt = now();
  let state: NodeStatus['state'] = 'starting';

  const identity = await loadOrCreateIdentity(files.identity);
  const config = createConfigStore(files.config, log.child({ component: 'config' }));
  const token = loadOrCreateToken(files.token);
  const sessions = createSessions(now);
  const [resources, nativeAddonError] = await Promise.all([describeResources(), loadNativeStatus()]);
  if (nativeAddonError) log.warn({ err: nativeAddonError }, 'native addon unavailable: QoS sampling is off');

  const p2p = await createLibp2pHost({ privateKey: identity.privateKey, ...(opts.p2pListen ? { listen: opts.p2pListen } : {}) });

  const status = (): NodeStatus => ({
    version: VERSION,
    peerId: identity.peerId.toString(),
    listenAddrs: p2p.getMultiaddrs().map((a) => a.toString()),
    state,
    role: 'unjoined',
    startedAt: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now() - startedAt) / 1000)),
    dataDir: opts.dataDir,
    resources,
    limits: config.get().limits,
    nativeAddonError,
  });

  const setLimits = (patch: DonationLimitsPatch): DonationLimits => {
    try {
      checkFitsMachine({ ...config.get().limits, ...patch } as DonationLimits, resources);
      return config.updateLimits(patch).limits;
    } catch (err) {
      if (err instanceof ConfigError) throw new HttpError(400, 'bad_request', err.message, err.field);
      throw err;
    }
  };

  const loginUrl = () => `http://127.0.0.1:${api.port}/auth?code=${sessions.issueLoginCode()}`;
  const api: ControlApi = createControlApi({
    token,
    sessions,
    log,
    ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
    ...(opts.apiPort !== undefined ? { port: opts.apiPort } : {}),
    handlers: {
      status,
      getLimits: () => config.get().limits,
      setLimits,
      uiLogin: () => ({ url: loginUrl() }),
    },
  });

  return {
    identity,
    status,
    /** A one-time URL that logs a browser into the UI. */
    loginUrl,
    async start(): Promise<void> {
      await p2p.start();
      const { port } = await api.start();
      const control: ControlFile = { pid: process.pid, port, version: VERSION, peerId: identity.peerId.toString() };
      writeFileAtomic(files.control, `${JSON.stringify(control)}\n`, 0o600);
      state = 'running';
      log.info({ peerId: control.peerId, port, listen: status().listenAddrs, created: identity.created }, 'agent running');
    },
    async stop(): Promise<void> {
      state = 'stopping';
      rmSync(files.control, { force: true });
      await api.stop();
      await p2p.stop();
      log.info('agent stopped');
    },
  };
}
export type Agent = Awaited<ReturnType<typeof createAgent>>;
