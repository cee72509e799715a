import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, UI_CONTENT_TYPES } from '../../agent/src/api/static-ui.ts';
import { APP_HOST, APP_SCHEME } from './app-origin.ts';


/** The file a request for the app scheme maps to, or null when it would leave the renderer folder. */
export function resolveAppFile(rendererDir: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const rel = normalize(path).replace(/^([/\\])+/, '') || 'index.html';
  const file = join(rendererDir, rel);
  return file.startsWith(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep) ? file : null;
}

/** Answers one app-scheme request from the built renderer, with the same CSP the agent's server sends. */
export async function serveAppRequest(rendererDir: string, request: { url: string; method: string }): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 });
  const file = resolveAppFile(rendererDir, request.url);
  if (!file) return new Response('not found', { status: 404 });
  const body = await readFile(file).catch(() => null);
  if (!body) return new Response('not found', { status: 404 });
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: {
      'content-type': UI_CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    },
  });
}

/** Must run before app 'ready': the scheme is standard (relative URLs, an origin) and secure. */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } } as const;

/** Serves the app's pages from the built renderer on phantom://app/ (after app 'ready'). */
export function setupProtocol(protocol: { handle(scheme: string, handler: (req: Request) => Promise<Response>): void }, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (req) => serveAppRequest(rendererDir, req));
}
