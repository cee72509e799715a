import { rmSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import type { Logger } from 'pino';
import type { DonationLimits, DonationLimitsPatch, NodeStatus, PauseRequest, PauseState, ResourceDescription } from '../../contract/index.ts';
import { createNativeApi } from '../../native/lib/index.ts';
import { createAgentJobs } from './jobs/setup.ts';
import { createQos } from './qos/qos.ts';
import { FieldError } from './field-error.ts';
import { detectCgroupLayout, type CgroupLayout } from './qos/cgroup-layout.ts';
import { systemClock, systemTimers } from './qos/system-time.ts';
import { createUsageHistory } from './resources/usage-history.ts';
import { createControlApi, type ControlApi } from './api/server.ts';
import { createSessions, loadOrCreateToken } from './api/auth.ts';
import { HttpError } from './api/errors.ts';
import { writeFileAtomic } from './config/atomic-write.ts';
import { dataFiles } from './config/paths.ts';
import { ConfigError, createConfigStore } from './config/store.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { createLibp2pHost } from './net/libp2p-host.ts';
import { describeResources } from './resources/describe.ts';
import { VERSION } from './version.ts';

export interface AgentOptions {
  readonly dataDir: string;
  readonly log: Logger;
  /** Built renderer to serve (browser fallback). */
  readonly uiDir?: string;
  readonly apiPort?: number;
  readonly p2pListen?: readonly string[];
  readonly now?: () => number;
  /** Name of this agent's top cgroup (default "phantom-grid"; tests give each agent its own). */
  readonly cgroupRoot?: string;
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
  const resources = await describeResources();
  const native = createNativeApi();
  const nativeAddonError = native.nativeAddonError();
  if (nativeAddonError) log.warn({ err: nativeAddonError }, 'native addon unavailable: QoS sampling is off');

  let layout: CgroupLayout | null = null;
  try {
    layout = detectCgroupLayout();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'no usable cgroups: donation limits cannot be enforced');
  }
  const qos = createQos({
    log: log.child({ component: 'qos' }),
    clock: systemClock,
    timers: systemTimers,
    native,
    limits: config.get().limits,
    cpuCount: resources.cores,
    ...(layout ? { layout } : {}),
    ...(opts.cgroupRoot ? { cgroupRoot: opts.cgroupRoot } : {}),
  });
  // Moving guests between machines needs the overlay's transport (issue 4/6); until then the
  // request is logged so the owner can see why the guests stay throttled.
  qos.on('migrate-request', (req) => log.warn({ req }, 'QoS asks to move guests away; migration between agents is not available yet'));
  const jobs = createAgentJobs({
    dataDir: opts.dataDir,
    log,
    node: identity.peerId.toString(),
    version: VERSION,
    placeProcess: (pid) => void qos.placeGuest(pid),
  });
  const usage = createUsageHistory({
    cpuTimes: () => native.cpuTimes(),
    guestGroup: () => qos.status().guestGroup,
    layout,
    now,
    memory: () => {
      const gridBytes = qos.guestUsage()?.memoryBytes ?? 0;
      const used = totalmem() - freemem();
      return { ownerMiB: Math.max(0, used - gridBytes) / 2 ** 20, gridMiB: gridBytes / 2 ** 20 };
    },
  });
  let usageTimer: NodeJS.Timeout | null = null;

  // The owner's pause: persisted, ended by its own timer when it has an end.
  let pauseTimer: NodeJS.Timeout | null = null;
  const applyPause = (p: PauseState): PauseState => {
    if (pauseTimer) clearTimeout(pauseTimer);
    pauseTimer = null;
    const expired = p.paused && p.until !== null && Date.parse(p.until) <= now();
    const effective: PauseState = expired ? { paused: false, until: null } : p;
    qos.setPaused(effective.paused);
    state = state === 'stopping' || state === 'starting' ? state : effective.paused ? 'paused' : 'running';
    if (effective.paused && effective.until !== null) {
      // setTimeout holds at most ~24.8 days; a longer pause re-arms when it fires.
      pauseTimer = setTimeout(() => applyPause(config.get().pause), Math.min(Date.parse(effective.until) - now(), 2 ** 31 - 1));
      pauseTimer.unref();
    }
    if (expired) config.setPause(effective);
    return effective;
  };
  const setPause = (p: PauseState): PauseState => {
    config.setPause(p);
    return applyPause(p);
  };

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
    qos: qos.status(),
  });

  // Every check runs before anything changes: the schema, the machine, then the enforcement itself
  // (which refuses limits it cannot apply); only then is the file written.
  const setLimits = (patch: DonationLimitsPatch): DonationLimits => {
    try {
      const merged = { ...config.get().limits, ...patch } as DonationLimits;
      checkFitsMachine(merged, resources);
      const previous = config.get().limits;
      qos.applyLimits(merged);
      try {
        return config.updateLimits(patch).limits;
      } catch (err) {
        qos.applyLimits(previous);
        throw err;
      }
    } catch (err) {
      if (err instanceof FieldError) throw new HttpError(400, 'bad_request', err.message, err.field);
      throw err;
    }
  };

  const loginUrl = () => `http://127.0.0.1:${api.port}/auth?code=${sessions.issueLoginCode()}`;
  const api: ControlApi = createControlApi({
    token,
    sessions,
    log,
    mounts: [jobs.tesMount],
    ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
    ...(opts.apiPort !== undefined ? { port: opts.apiPort } : {}),
    handlers: {
      status,
      getLimits: () => config.get().limits,
      setLimits,
      uiLogin: () => ({ url: loginUrl() }),
      getPause: () => applyPause(config.get().pause),
      pause: (req: PauseRequest) => {
        if (req.until !== null && Date.parse(req.until) <= now()) throw new HttpError(400, 'bad_request', 'until: the pause would end in the past', 'until');
        return setPause({ paused: true, until: req.until });
      },
      resume: () => setPause({ paused: false, until: null }),
      reportPresence: (report) => {
        qos.reportPresence(report);
        return report;
      },
      getUsage: () => usage.history(),
      ...jobs.handlers,
    },
  });

  return {
    identity,
    status,
    /** A one-time URL that logs a browser into the UI. */
    loginUrl,
    qos,
    jobs: jobs.jobs,
    async start(): Promise<void> {
      await qos.start();
      await jobs.start();
      await p2p.start();
      const { port } = await api.start();
      const control: ControlFile = { pid: process.pid, port, version: VERSION, peerId: identity.peerId.toString() };
      writeFileAtomic(files.control, `${JSON.stringify(control)}\n`, 0o600);
      state = 'running';
      applyPause(config.get().pause);
      // Without the native addon there is no per-core sampling: the history stays empty, the agent runs.
      const sampleUsage = () => {
        try {
          usage.sample();
        } catch (err) {
          log.debug({ err }, 'usage sample failed');
        }
      };
      sampleUsage();
      usageTimer = setInterval(sampleUsage, 2000);
      usageTimer.unref();
      log.info({ peerId: control.peerId, port, listen: status().listenAddrs, created: identity.created }, 'agent running');
    },
    async stop(): Promise<void> {
      state = 'stopping';
      rmSync(files.control, { force: true });
      if (usageTimer) clearInterval(usageTimer);
      if (pauseTimer) clearTimeout(pauseTimer);
      await api.stop();
      await jobs.stop();
      await qos.stop();
      await p2p.stop();
      log.info('agent stopped');
    },
  };
}
export type Agent = Awaited<ReturnType<typeof createAgent>>;
