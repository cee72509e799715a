import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ApiError, routes, type RouteName, type RequestOf, type ResponseOf } from '../../../contract/index.ts';
import { dataFiles } from '../config/paths.ts';
import type { ControlFile } from '../agent.ts';
import { pidAlive } from '../process-alive.ts';

export class AgentNotRunningError extends Error {
  constructor(dataDir: string, detail: string) {
    super(`no Phantom Grid agent is running for ${dataDir} (${detail}); start one with \`phantom agent\``);
    this.name = 'AgentNotRunningError';
  }
}

export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, body: ApiError) {
    super(body.error.message);
    this.name = 'ApiCallError';
    this.status = status;
    this.code = body.error.code;
    this.field = body.error.field;
  }
}


/** The CLI's way to the agent: finds it through control.json and speaks the contract's routes. */
export function createControlClient(dataDir: string, opts: { timeoutMs?: number } = {}) {
  const files = dataFiles(dataDir);
  const locate = (): { control: ControlFile; token: string } => {
    if (!existsSync(files.control)) throw new AgentNotRunningError(dataDir, 'no control.json');
    const control = JSON.parse(readFileSync(files.control, 'utf8')) as ControlFile;
    if (!pidAlive(control.pid)) throw new AgentNotRunningError(dataDir, `pid ${control.pid} has exited`);
    return { control, token: readFileSync(files.token, 'utf8').trim() };
  };

  return {
    async call<N extends RouteName>(name: N, body?: RequestOf<N>): Promise<ResponseOf<N>> {
      const { control, token } = locate();
      const route = routes[name];
      let res: Response;
      try {
        res = await fetch(`http://127.0.0.1:${control.port}${route.path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new AgentNotRunningError(dataDir, `cannot reach 127.0.0.1:${control.port}: ${(err as Error).message}`);
      }
      const json: unknown = await res.json();
      if (!res.ok) throw new ApiCallError(res.status, ApiError.parse(json));
      return (route.response as z.ZodType).parse(json) as ResponseOf<N>;
    },
  };
}
