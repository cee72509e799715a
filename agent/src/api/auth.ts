import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { writeFileAtomic } from '../config/atomic-write.ts';

export const SESSION_COOKIE = 'phantom_session';

/** The control token: 0600 in the data dir; whoever can read it is the owner. */
export function loadOrCreateToken(path: string): string {
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(token)) return token;
  }
  const token = randomBytes(32).toString('hex');
  writeFileAtomic(path, `${token}\n`, 0o600);
  return token;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Browser sessions for the fallback UI: a one-time login code (printed as a URL) is exchanged for
 * an HttpOnly, SameSite=Strict cookie, so the token itself never sits in the browser's history.
 */
export function createSessions(now: () => number = Date.now, loginTtlMs = 10 * 60_000) {
  const logins = new Map<string, number>();
  const sessions = new Set<string>();
  return {
    issueLoginCode(): string {
      const code = randomBytes(24).toString('hex');
      logins.set(code, now() + loginTtlMs);
      return code;
    },
    /** Single use: a second exchange of the same code fails. */
    exchange(code: string): string | null {
      const expires = logins.get(code);
      logins.delete(code);
      if (expires === undefined || expires < now()) return null;
      const session = randomBytes(32).toString('hex');
      sessions.add(session);
      return session;
    },
    isValid(session: string): boolean {
      return sessions.has(session);
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * DNS rebinding and cross-site defence: the Host must name loopback on our port, and an Origin,
 * when a browser sends one, must be our own.
 */
export function allowedHosts(port: number, extraHosts: readonly string[] = []): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...extraHosts.map((h) => `${h}:${port}`)]);
}
