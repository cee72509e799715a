import type { z } from 'zod';
import { ApiCallPayload, describeIssue, IpcChannel, routes, type IpcResult, type RouteName } from '../../contract/index.ts';
import { isAppUrl } from './app-origin.ts';

/** What a handler sees of an IPC event: enough to tell who sent it. */
export interface IpcSender {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSender, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcDeps {
  /** webContents ids of the windows the app created (main window, tray popover). */
  readonly trustedContents: ReadonlySet<number>;
  forward(route: RouteName, body: unknown): Promise<IpcResult>;
  readonly log: { warn(obj: object, msg: string): void };
}

/**
 * Every call must come from the top frame of one of our own windows showing one of our pages:
 * a page that navigated away, an iframe, or any other webContents gets nothing.
 */
export function senderRefusal(event: IpcSender, trusted: ReadonlySet<number>): string | null {
  if (!trusted.has(event.sender.id)) return `webContents ${event.sender.id} is not an app window`;
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return 'calls from subframes are refused';
  if (!isAppUrl(frame.url)) return `page ${frame.url} is not the app`;
  return null;
}

const refuse = (message: string, status: number, field?: string): IpcResult => ({ ok: false, error: { message, status, ...(field !== undefined ? { field } : {}) } });

/** Registers the renderer→agent channel. Returns a function that removes it. */
export function setupIpc(ipcMain: IpcMainLike, deps: IpcDeps): () => void {
  ipcMain.handle(IpcChannel.apiCall, async (event, payload): Promise<IpcResult> => {
    const refusal = senderRefusal(event, deps.trustedContents);
    if (refusal) {
      deps.log.warn({ channel: IpcChannel.apiCall, refusal }, 'IPC call refused');
      return refuse(`refused: ${refusal}`, 403);
    }
    const call = ApiCallPayload.safeParse(payload);
    if (!call.success) {
      const { message, field } = describeIssue(call.error);
      return refuse(message, 400, field);
    }
    const route = routes[call.data.route];
    const body = (route.request as z.ZodType).safeParse(call.data.body);
    if (!body.success) {
      const { message, field } = describeIssue(body.error);
      return refuse(message, 400, field);
    }
    return deps.forward(call.data.route, body.data);
  });
  return () => ipcMain.removeHandler(IpcChannel.apiCall);
}
