// The sandboxed preload: exposes `window.phantom` (contract PhantomBridge) and nothing else. The
// renderer never sees ipcRenderer; it can only make the contract's API calls, which main checks.
import { contextBridge, ipcRenderer } from 'electron';
import { ApiCallPayload, IpcChannel, IpcResult, describeIssue, type PhantomBridge } from '../../contract/index.ts';

const bridge: PhantomBridge = {
  async call(payload) {
    const checked = ApiCallPayload.safeParse(payload);
    if (!checked.success) {
      const { message, field } = describeIssue(checked.error);
      throw { message, status: 400, field };
    }
    const result = IpcResult.parse(await ipcRenderer.invoke(IpcChannel.apiCall, checked.data));
    // A plain object (not an Error) crosses the context bridge with its status and field intact.
    if (!result.ok) throw { ...result.error };
    return result.data;
  },
};

contextBridge.exposeInMainWorld('phantom', bridge);
