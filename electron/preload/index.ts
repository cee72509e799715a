// The sandboxed preload: exposes `window.phantom` (contract PhantomBridge) and nothing else. The
// renderer never sees ipcRenderer; it can only make the contract's API calls, which main checks.
import { contextBridge, ipcRenderer } from 'electron';
import { IpcChannel } from '../../contract/index.ts';
import { createBridge } from './bridge.ts';

contextBridge.exposeInMainWorld('phantom', createBridge((payload) => ipcRenderer.invoke(IpcChannel.apiCall, payload)));
