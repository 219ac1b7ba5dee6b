import { app, BrowserWindow, ipcMain, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dispatch } from '../api/dispatch';
import { EventBus } from '../api/eventBus';
import { createServices } from '../api/services';
import { resolveAppPaths } from '../storage/appPaths';
import { contentSecurityPolicy } from './contentSecurityPolicy';

const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = join(import.meta.dirname, '../renderer/index.html');

/** Only our own renderer may talk to the services: the dev server in development, the built file otherwise. */
function isTrustedSender(frameUrl: string | undefined): boolean {
  if (!frameUrl) return false;
  if (rendererUrl) return frameUrl.startsWith(rendererUrl);
  return frameUrl.startsWith(pathToFileURL(rendererFile).href);
}

function hardenWebContents(contents: WebContents): void {
  // The app never navigates away or opens windows; links to the outside go to the system browser.
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedSender(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function createWindow(): Promise<void> {
  const events = new EventBus();
  const paths = resolveAppPaths({ userDataDir: app.getPath('userData'), resourcesDir: join(app.getAppPath(), 'resources') });
  const services = createServices({ paths, transport: 'electron', events, version: app.getVersion(), piDiscovery: true });

  ipcMain.handle('tinym2:call', (event, method: unknown, request: unknown) => {
    if (!isTrustedSender(event.senderFrame?.url)) return { ok: false, error: { code: 'unauthorized', message: 'untrusted sender' } };
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_request', message: 'method must be a string', field: 'method' } };
    return dispatch(services, method, request);
  });

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 700,
    title: 'TinyM2 Studio',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });

  const unsubscribe = events.subscribe((event, payload) => {
    if (!win.isDestroyed()) win.webContents.send('tinym2:event', event, payload);
  });
  ipcMain.on('tinym2:subscribe', (event) => {
    if (event.sender === win.webContents) event.sender.send('tinym2:event', 'app.status', { connected: true, transport: 'electron', at: Date.now() });
  });
  win.on('closed', unsubscribe);
  win.once('ready-to-show', () => win.show());

  if (rendererUrl) await win.loadURL(rendererUrl);
  else await win.loadFile(rendererFile);
}

app.on('web-contents-created', (_e, contents) => hardenWebContents(contents));

void app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy(rendererUrl ? `'self' ${rendererUrl.replace(/^http/, 'ws')}` : "'none'")] } });
  });
  // The renderer needs no camera, microphone (capture runs in the main process), geolocation or notifications.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  await createWindow();
});

app.on('window-all-closed', () => app.quit());
