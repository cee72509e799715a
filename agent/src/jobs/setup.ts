import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Mount } from '../api/server.ts';
import { createTesMount } from '../api/tes.ts';
import { createVmHost, type VmHost } from '../vm/vm-host.ts';
import type { JobExecutor } from './executor.ts';
import { jobHandlers } from './handlers.ts';
import { createLocalVmExecutor } from './local-vm-executor.ts';
import { createJobService } from './service.ts';

/**
 * Jobs for the agent's composition root in one call: the job service, its control-API handlers and
 * the TES mount, running jobs on this machine's guests (LocalVmExecutor) until the grid executor
 * takes over. Without a built guest image the agent still starts: old jobs stay readable, new ones
 * are refused with a message saying how to build the image.
 */
export interface AgentJobsOptions {
  readonly dataDir: string;
  readonly log: Logger;
  /** This node's name in task logs and TES service-info (its peer id). */
  readonly node: string;
  readonly version: string;
  /** A built guest image folder (guest/out/<version>); default: $PHANTOM_GUEST_IMAGE, else the newest under guest/out. */
  readonly imageDir?: string;
  /** Another executor (the grid's); the local guest host is then not started. */
  readonly executor?: JobExecutor;
  readonly slots?: number;
  /** Puts each guest's QEMU process under the donation's cgroup (QoS placeGuest). */
  readonly placeProcess?: (pid: number) => void;
}

/** The newest built image under guest/out, for a source checkout or the bundle in dist/agent. */
export function findGuestImage(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PHANTOM_GUEST_IMAGE) return resolve(env.PHANTOM_GUEST_IMAGE);
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../../guest/out', '../../guest/out']) {
    const out = resolve(here, up);
    if (!existsSync(out)) continue;
    const built = readdirSync(out)
      .filter((d) => /^[0-9a-f]{16}$/.test(d) && existsSync(join(out, d, 'manifest.json')))
      .sort((a, b) => statSync(join(out, b, 'manifest.json')).mtimeMs - statSync(join(out, a, 'manifest.json')).mtimeMs);
    if (built[0]) return join(out, built[0]);
  }
  return null;
}

/**
 * Guests an earlier run of this agent left behind. QEMU outlives a kill -9 of the agent that started
 * it; such a guest's job has already been queued again, so the orphan only burns the owner's CPU.
 * They are found by their run directory (this data dir's own) in their command line.
 */
export function reapOrphanGuests(runDir: string, log: Logger): number {
  const dir = `${resolve(runDir)}/`;
  let reaped = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!basename(argv[0] ?? '').startsWith('qemu-system') || !argv.some((a) => a.includes(dir))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      reaped++;
    } catch {
      // Gone already.
    }
  }
  if (reaped) log.warn({ reaped, runDir }, 'killed guests left running by an earlier agent');
  return reaped;
}

/** Stands in for the guest host when no image is built: refuses work, clearly, and keeps nothing. */
function noImageExecutor(reason: string): JobExecutor {
  return {
    name: 'local-vm',
    images: () => [],
    slots: () => 1,
    run: async () => ({ kind: 'system_error', message: reason, retry: false }),
  };
}

export function createAgentJobs(opts: AgentJobsOptions) {
  const log = opts.log;
  let host: VmHost | null = null;
  const runDir = join(opts.dataDir, 'vm');
  let current: JobExecutor;
  if (opts.executor) current = opts.executor;
  else {
    const imageDir = opts.imageDir ?? findGuestImage();
    if (imageDir) {
      // Unix socket paths are short (107 bytes): the guests' sockets live in <dataDir>/vm.
      host = createVmHost({
        log: log.child({ component: 'vm-host' }),
        imageDir,
        runDir: join(opts.dataDir, 'vm'),
        ...(opts.placeProcess ? { placeProcess: opts.placeProcess } : {}),
      });
      current = createLocalVmExecutor({ host, log, node: opts.node, ...(opts.slots !== undefined ? { slots: opts.slots } : {}) });
    } else {
      log.warn('no guest image found: jobs will be refused until one is built (node guest/build-image.ts)');
      current = noImageExecutor('no guest image is built on this node (node guest/build-image.ts)');
    }
  }
  // The service keeps one executor; this one follows whether the guest host actually started.
  const executor: JobExecutor = {
    get name() {
      return current.name;
    },
    images: () => current.images(),
    slots: () => current.slots(),
    run: (run, observer, signal) => current.run(run, observer, signal),
  };
  const jobs = createJobService({ dataDir: opts.dataDir, log, executor });
  const tesMount: Mount = createTesMount({ jobs, serviceId: `org.phantomgrid.${opts.node}`, version: opts.version });
  return {
    jobs,
    handlers: jobHandlers(jobs),
    tesMount,
    async start(): Promise<void> {
      if (host) {
        reapOrphanGuests(runDir, log);
        try {
          await host.start();
        } catch (err) {
          log.error({ err }, 'the guest host did not start: jobs will be refused');
          host = null;
          current = noImageExecutor(`the guest host did not start: ${(err as Error).message}`);
        }
      }
      await jobs.start();
    },
    async stop(): Promise<void> {
      await jobs.stop();
      await host?.stop();
    },
  };
}
