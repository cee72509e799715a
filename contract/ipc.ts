import { z } from 'zod';
import { routes, type RouteName } from './api.ts';

/** IPC channels between the renderer (through the preload) and Electron main. */
export const IpcChannel = {
  /** Forwards one control-API call to the agent; payload: { route, body }. */
  apiCall: 'phantom:api-call',
} as const;
export type IpcChannel = (typeof IpcChannel)[keyof typeof IpcChannel];

export const routeNames = Object.keys(routes) as [RouteName, ...RouteName[]];

export const ApiCallPayload = z.object({
  route: z.enum(routeNames),
  body: z.unknown().optional(),
}).strict();
export type ApiCallPayload = z.infer<typeof ApiCallPayload>;

/** What the preload exposes as `window.phantom` (contextBridge): the renderer's only way out. */
export interface PhantomBridge {
  call(payload: ApiCallPayload): Promise<unknown>;
}
