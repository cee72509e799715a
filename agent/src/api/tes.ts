import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  describeIssue,
  TES_PREFIX,
  TES_VERSION,
  TesLimits,
  TesState,
  TesTaskRequest,
  TesView,
  type TesServiceInfo,
} from '../../../contract/index.ts';
import type { JobService } from '../jobs/service.ts';
import { BACKEND_PARAMETERS } from '../jobs/validate.ts';
import { safeEqual } from './auth.ts';
import { HttpError } from './errors.ts';
import { readJsonBody, sendJson, startHttpServer, type Mount } from './server.ts';

/**
 * GA4GH TES 1.1 on the control API (/ga4gh/tes/v1), so workflow engines (Cromwell, Nextflow,
 * Snakemake, cwl-tes) submit to the grid as they would to Funnel. A task becomes a job in the same
 * table `phantom submit` uses.
 */

export interface TesMountOptions {
  readonly jobs: Pick<JobService, 'tes'>;
  /** Stable service id (the node's peer id makes it unique on a LAN). */
  readonly serviceId: string;
  readonly version: string;
  /** When the service started (service-info createdAt/updatedAt). */
  readonly startedAt?: Date;
}

const ListQuery = z.object({
  name_prefix: z.string().max(TesLimits.nameChars).optional(),
  state: TesState.optional(),
  page_size: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(TesLimits.pageSizeMax, 'must be less than 2048'))
    .optional(),
  page_token: z.string().max(256).optional(),
  view: TesView.optional(),
});
const ViewQuery = z.object({ view: TesView.optional() });

function query<T extends z.ZodType>(schema: T, url: URL, keys: readonly string[]): z.infer<T> {
  const raw: Record<string, string> = {};
  for (const k of keys) {
    const all = url.searchParams.getAll(k);
    if (all.length > 1) throw new HttpError(400, 'bad_request', `${k}: given more than once`, k);
    if (all.length === 1) raw[k] = all[0]!;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const { message, field } = describeIssue(parsed.error);
    throw new HttpError(400, 'bad_request', message, field);
  }
  return parsed.data;
}

function tags(url: URL): Record<string, string> | undefined {
  const keys = url.searchParams.getAll('tag_key');
  const values = url.searchParams.getAll('tag_value');
  if (keys.length === 0) {
    if (values.length) throw new HttpError(400, 'bad_request', 'tag_value: given without tag_key', 'tag_value');
    return undefined;
  }
  if (values.length > keys.length) throw new HttpError(400, 'bad_request', 'tag_value: more values than tag_key entries', 'tag_value');
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}

const TASK_PATH = /^\/tasks\/([^/:]+)(:cancel)?$/;

export function createTesMount(opts: TesMountOptions): Mount {
  const tes = opts.jobs.tes;
  const startedAt = (opts.startedAt ?? new Date()).toISOString();

  const serviceInfo = (): TesServiceInfo => ({
    id: opts.serviceId,
    name: 'Phantom Grid',
    type: { group: 'org.ga4gh', artifact: 'tes', version: TES_VERSION },
    description: `Runs each task in a Phantom Grid guest VM (executor: ${tes.executorName}). Executors name the image "phantom-guest" (or "phantom-guest:<version>"); paths live under /job; inputs and outputs are file:// URLs on this host.`,
    organization: { name: 'Phantom Grid', url: 'https://github.com/phantom-grid/phantom-grid' },
    createdAt: startedAt,
    updatedAt: startedAt,
    environment: 'prod',
    version: opts.version,
    storage: ['file:///'],
    tesResources_backend_parameters: [...BACKEND_PARAMETERS],
  });

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice(TES_PREFIX.length) || '/';
    const only = (allowed: string) => {
      if (method !== allowed) throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`);
    };

    if (path === '/service-info') {
      only('GET');
      sendJson(res, 200, serviceInfo());
      return;
    }
    if (path === '/tasks') {
      if (method === 'POST') {
        const parsed = TesTaskRequest.safeParse(await readJsonBody(req));
        if (!parsed.success) {
          const { message, field } = describeIssue(parsed.error);
          throw new HttpError(400, 'bad_request', message, field);
        }
        sendJson(res, 200, tes.create(parsed.data));
        return;
      }
      only('GET');
      const q = query(ListQuery, url, ['name_prefix', 'state', 'page_size', 'page_token', 'view']);
      const tagFilter = tags(url);
      sendJson(
        res,
        200,
        tes.list({
          pageSize: q.page_size ?? TesLimits.pageSizeDefault,
          view: q.view ?? 'MINIMAL',
          ...(q.name_prefix !== undefined ? { namePrefix: q.name_prefix } : {}),
          ...(q.state !== undefined ? { state: q.state } : {}),
          ...(q.page_token !== undefined ? { pageToken: q.page_token } : {}),
          ...(tagFilter ? { tags: tagFilter } : {}),
        }),
      );
      return;
    }
    const m = TASK_PATH.exec(path.replace(/%3A/gi, ':'));
    if (m) {
      const id = decodeURIComponent(m[1]!);
      if (m[2]) {
        only('POST');
        sendJson(res, 200, tes.cancel(id));
        return;
      }
      only('GET');
      const { view } = query(ViewQuery, url, ['view']);
      sendJson(res, 200, tes.get(id, view ?? 'MINIMAL'));
      return;
    }
    throw new HttpError(404, 'not_found', `no such TES endpoint: ${url.pathname}`);
  };

  return { prefix: TES_PREFIX, handle: route };
}

export interface TesLanListenerOptions {
  readonly mount: Mount;
  readonly token: string;
  /** A LAN address of this machine (config: tes.lanAddress); loopback is the control API's. */
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
}

/**
 * TES on a LAN address for workflow engines on other hosts (off unless configured). It serves the
 * TES mount alone — never the control API or the UI — and only to a bearer token; cookies do not
 * count here, and there is no Origin to trust, so browsers are refused outright.
 */
export function createTesLanListener(opts: TesLanListenerOptions) {
  const log = opts.log.child({ component: 'tes-lan' });
  let server: Server | null = null;
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.origin !== undefined) throw new HttpError(403, 'forbidden', 'browsers may not use the LAN TES endpoint');
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ') || !safeEqual(auth.slice(7).trim(), opts.token)) {
      throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
    }
    const url = new URL(req.url ?? '/', 'http://tes.invalid');
    if (url.pathname !== opts.mount.prefix && !url.pathname.startsWith(`${opts.mount.prefix}/`)) {
      throw new HttpError(404, 'not_found', `only ${opts.mount.prefix} is served here`);
    }
    await opts.mount.handle(req, res, url);
  };

  return {
    get port() {
      return port;
    },
    async start(): Promise<{ port: number }> {
      ({ server, port } = await startHttpServer({ handle, log, host: opts.host, port: opts.port, what: 'TES' }));
      log.info({ host: opts.host, port }, 'TES listening on a LAN address');
      return { port };
    },
    async stop(): Promise<void> {
      if (!server) return;
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
