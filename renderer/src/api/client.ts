import type { z } from 'zod';
import { ApiError, routes, type PhantomBridge, type RouteName, type RequestOf, type ResponseOf } from '../../../contract/index.ts';

export class ClientError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(message: string, status: number, field?: string) {
    super(message);
    this.name = 'ClientError';
    this.status = status;
    this.field = field;
  }
}

export interface ApiClient {
  call<N extends RouteName>(name: N, body?: RequestOf<N>): Promise<ResponseOf<N>>;
}

declare global {
  interface Window {
    phantom?: PhantomBridge;
  }
}

const parse = <N extends RouteName>(name: N, json: unknown): ResponseOf<N> => (routes[name].response as z.ZodType).parse(json) as ResponseOf<N>;

/** In the browser fallback: same-origin HTTP to the control API, authenticated by the session cookie. */
export function httpClient(base = ''): ApiClient {
  return {
    async call(name, body) {
      const route = routes[name];
      let res: Response;
      try {
        res = await fetch(`${base}${route.path}`, {
          method: route.method,
          credentials: 'same-origin',
          headers: body !== undefined ? { 'content-type': 'application/json' } : {},
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch {
        throw new ClientError('cannot reach the Phantom Grid agent; is it running?', 0);
      }
      const json: unknown = await res.json().catch(() => null);
      if (!res.ok) {
        const err = ApiError.safeParse(json);
        throw err.success ? new ClientError(err.data.error.message, res.status, err.data.error.field) : new ClientError(`agent answered ${res.status}`, res.status);
      }
      return parse(name, json);
    },
  };
}

/** In Electron: through the preload's bridge; main forwards to the agent. */
export function bridgeClient(bridge: PhantomBridge): ApiClient {
  return {
    async call(name, body) {
      try {
        return parse(name, await bridge.call({ route: name, ...(body !== undefined ? { body } : {}) }));
      } catch (err) {
        const e = err as { message?: string; status?: number; field?: string };
        throw new ClientError(e.message ?? 'request failed', e.status ?? 0, e.field);
      }
    },
  };
}

/** The one client the app uses. */
export const defaultClient = (): ApiClient => (typeof window !== 'undefined' && window.phantom ? bridgeClient(window.phantom) : httpClient());
