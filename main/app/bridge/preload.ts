// Preload (sandboxed, context-isolated): exposes exactly the LoopgateBridge as window.loopgate, nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge-client.ts';
import { BRIDGE_GLOBAL } from './bridge-methods.ts';

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, createBridge(ipcRenderer));
