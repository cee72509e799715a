import { AgentNotRunningError, ApiCallError, createControlClient } from '../../agent/src/api/client.ts';
import type { IpcResult, RouteName, RequestOf, ResponseOf } from '../../contract/index.ts';

/** Main's one way to the agent: the control API on loopback with the token from the data dir. */
export interface AgentLink {
  call<N extends RouteName>(name: N, body?: RequestOf<N>): Promise<ResponseOf<N>>;
  /** The same call, its failure turned into the IPC envelope the preload unwraps. */
  forward(name: RouteName, body: unknown): Promise<IpcResult>;
}

/** HTTP status the renderer sees when no agent answers (the app shows "offline"). */
export const AGENT_UNAVAILABLE = 503;

export function toIpcFailure(err: unknown): Extract<IpcResult, { ok: false }> {
  if (err instanceof ApiCallError) return { ok: false, error: { message: err.message, status: err.status, ...(err.field !== undefined ? { field: err.field } : {}) } };
  if (err instanceof AgentNotRunningError) return { ok: false, error: { message: err.message, status: AGENT_UNAVAILABLE } };
  return { ok: false, error: { message: `request failed: ${(err as Error).message}`, status: 500 } };
}

export function createAgentLink(dataDir: string, opts: { timeoutMs?: number } = {}): AgentLink {
  const client = createControlClient(dataDir, { timeoutMs: opts.timeoutMs ?? 5000 });
  return {
    call: (name, body) => client.call(name, body),
    async forward(name, body) {
      try {
        // The body was validated against the route's schema by the IPC handler.
        return { ok: true, data: await client.call(name, body as RequestOf<typeof name>) };
      } catch (err) {
        return toIpcFailure(err);
      }
    },
  };
}
