import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessions } from '../../../agent/src/api/auth.ts';
import { createControlApi, type ControlApi, type Handlers } from '../../../agent/src/api/server.ts';
import { createTesMount } from '../../../agent/src/api/tes.ts';
import { jobHandlers } from '../../../agent/src/jobs/handlers.ts';
import { createJobService, type JobService } from '../../../agent/src/jobs/service.ts';
import { silentLogger } from '../../../agent/src/log.ts';
import type { JobExecutor } from '../../../agent/src/jobs/executor.ts';

export const TOKEN = 'a'.repeat(64);

export interface TesServer {
  readonly dataDir: string;
  readonly base: string;
  readonly jobs: JobService;
  readonly api: ControlApi;
  stop(): Promise<void>;
}

/**
 * The control API with the job routes and the TES mount, in this process, on loopback over real
 * HTTP — what agent.ts assembles, minus libp2p. Only the job routes are served: the others are not
 * part of what these tests exercise.
 */
export async function startTesServer(executor: JobExecutor, dataDir = mkdtempSync(join(tmpdir(), 'phantom-tes-'))): Promise<TesServer> {
  const log = silentLogger();
  const jobs = createJobService({ dataDir, log, executor });
  await jobs.start();
  const api = createControlApi({
    token: TOKEN,
    sessions: createSessions(),
    log,
    handlers: jobHandlers(jobs) as Handlers,
    mounts: [createTesMount({ jobs, serviceId: 'org.phantomgrid.test', version: '0.1.0-test' })],
  });
  const { port } = await api.start();
  return {
    dataDir,
    base: `http://127.0.0.1:${port}`,
    jobs,
    api,
    async stop() {
      await api.stop();
      await jobs.stop();
    },
  };
}
