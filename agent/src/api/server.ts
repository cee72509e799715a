import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { routes, describeIssue, MAX_BODY_BYTES, type ApiError, type RouteName, type RequestOf, type ResponseOf } from '../../../contract/index.ts';
import { allowedHosts, readCookie, safeEqual, SESSION_COOKIE, type Sessions } from './auth.ts';
import { HttpError } from './errors.ts';
import { serveStatic } from './static-ui.ts';

export type Handlers = { [N in RouteName]: (body: RequestOf<N>) => Promise<ResponseOf<N>> | ResponseOf<N> };

/**
 * A sub-API mounted under a path prefix (GA4GH TES under /ga4gh/tes/v1). It runs behind the same
 * Host, Origin and token gates; it reads and validates its own body with `readJsonBody`.
 */
export interface Mount {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export interface ControlApiOptions {
  readonly mounts?: readonly Mount[];
  readonly token: string;
  readonly sessions: Sessions;
  readonly handlers: Handlers;
  readonly log: Logger;
  /** Built renderer to serve for the browser fallback; none = API only. */
  readonly uiDir?: string;
  readonly host?: string;
  readonly port?: number;
}

export interface ControlApi {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  readonly port: number;
}

const routeTable = new Map<string, RouteName>(
  (Object.keys(routes) as RouteName[]).map((name) => [`${routes[name].method} ${routes[name].path}`, name]),
);
const knownPaths = new Set(Object.values(routes).map((r) => r.path));

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const body: ApiError = { error: { code: err.code, message: err.message, ...(err.field !== undefined ? { field: err.field } : {}) } };
  sendJson(res, err.status, body);
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(400, 'bad_request', 'request body must be application/json');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_request', 'request body is not valid JSON');
  }
}

/**
 * An HTTP server whose handler may throw HttpError: every failure becomes the contract's JSON error
 * (500 for anything unexpected, logged), and a request refused before its body was read is drained
 * and its connection closed, so the client sees the answer rather than a reset on its next request.
 */
export async function startHttpServer(opts: {
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  log: Logger;
  host: string;
  port: number;
  what: string;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    opts.handle(req, res).catch((err: unknown) => {
      if (!req.complete) {
        res.setHeader('connection', 'close');
        req.resume();
      }
      if (err instanceof HttpError) {
        if (err.status === 403 || err.status === 401) opts.log.warn({ status: err.status, url: req.url, remote: req.socket.remoteAddress }, err.message);
        sendError(res, err);
        return;
      }
      opts.log.error({ err }, `${opts.what} handler failed`);
      sendError(res, new HttpError(500, 'internal', 'internal error; see the agent log'));
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * The control API on loopback. Every request passes three gates before a handler runs: Host
 * (DNS rebinding), Origin (cross-site), then the bearer token or a browser session cookie.
 */
export function createControlApi(opts: ControlApiOptions): ControlApi {
  const log = opts.log.child({ component: 'control-api' });
  let server: Server | null = null;
  let port = 0;
  let hosts = new Set<string>();

  const authorised = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return safeEqual(auth.slice(7).trim(), opts.token);
    const session = readCookie(req, SESSION_COOKIE);
    return session !== undefined && opts.sessions.isValid(session);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (!hosts.has(host)) throw new HttpError(403, 'forbidden', `Host "${host}" is not this agent's loopback address`);
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.has(origin.replace(/^http:\/\//, '')) ) {
      throw new HttpError(403, 'forbidden', `Origin "${origin}" may not use this agent`);
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';

    if (url.pathname === '/auth' && method === 'GET') {
      const session = opts.sessions.exchange(url.searchParams.get('code') ?? '');
      if (!session) throw new HttpError(401, 'unauthorized', 'this login link is invalid, expired or already used; run `phantom ui` for a new one');
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }

    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req)) throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token (see control.token in the data dir)');
      const name = routeTable.get(`${method} ${url.pathname}`);
      if (!name) {
        if (knownPaths.has(url.pathname)) throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`);
        throw new HttpError(404, 'not_found', `no such endpoint: ${url.pathname}`);
      }
      const route = routes[name];
      const raw = await readJsonBody(req);
      const parsed = (route.request as z.ZodType).safeParse(raw);
      if (!parsed.success) {
        const { message, field } = describeIssue(parsed.error);
        throw new HttpError(400, 'bad_request', message, field);
      }
      const handler = opts.handlers[name] as (body: unknown) => unknown;
      const result = await handler(parsed.data);
      sendJson(res, 200, (route.response as z.ZodType).parse(result));
      return;
    }

    const mount = opts.mounts?.find((m) => url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`));
    if (mount) {
      if (!authorised(req)) throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token (see control.token in the data dir)');
      await mount.handle(req, res, url);
      return;
    }

    if (opts.uiDir && (method === 'GET' || method === 'HEAD')) {
      await serveStatic(opts.uiDir, url.pathname, res);
      return;
    }
    throw new HttpError(404, 'not_found', `no such endpoint: ${url.pathname}`);
  };

  return {
    get port() {
      return port;
    },
    async start() {
      ({ server, port } = await startHttpServer({ handle, log, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, what: 'control API' }));
      hosts = allowedHosts(port);
      log.info({ port }, 'control API listening');
      return { port };
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
