import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PreloadBridge } from '../api/contract';

// The renderer gets exactly this object and nothing else: no ipcRenderer, no Node. Messages are
// validated in the main process against the contract, so the preload stays a dumb pipe.
const bridge: PreloadBridge = {
  invoke: (method, request) => ipcRenderer.invoke('tinym2:call', method, request),
  subscribe: (listener) => {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on('tinym2:event', handler);
    ipcRenderer.send('tinym2:subscribe');
    return () => {
      ipcRenderer.removeListener('tinym2:event', handler);
    };
  },
};

contextBridge.exposeInMainWorld('tinym2', bridge);
