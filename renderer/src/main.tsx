/** Renderer entry: picks the adapter (Electron preload when present, else the headless host over HTTP). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { httpDeviceApi } from './api/httpDeviceApi.js';
import { ipcDeviceApi } from './api/ipcDeviceApi.js';
import './styles.css';

const bridge = window.tgBridge;
const api = bridge ? ipcDeviceApi(bridge) : httpDeviceApi();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App api={api} {...(bridge ? { closeWindow: () => bridge.closeWindow() } : {})} />
    </StrictMode>,
  );
}
