import { app, BrowserWindow, ipcMain, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dispatch, type DispatchResult } from '../api/dispatch';
import { EventBus } from '../api/eventBus';
import { createServices } from '../api/services';
import { resolveAppPaths } from '../storage/appPaths';
import { contentSecurityPolicy } from './contentSecurityPolicy';
import { externalLinkDecision } from './externalLinks';
import { isTrustedSender, type RendererLocation } from './trustedSender';

const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = join(import.meta.dirname, '../renderer/index.html');
/** Only our own renderer may talk to the services: the dev server in development, the built file otherwise. */
const renderer: RendererLocation = rendererUrl ? { devServerUrl: rendererUrl } : { fileUrl: pathToFileURL(rendererFile).href };
const trusted = (frameUrl: string | undefined) => isTrustedSender(frameUrl, renderer);

/** Links to the outside go to the system browser, and only to the allow-listed documentation hosts. */
function openOutside(url: string): void {
  const decision = externalLinkDecision(url);
  if (decision.open) void shell.openExternal(decision.url);
  else console.warn(`tinym2: refused to open ${JSON.stringify(url.slice(0, 200))}: ${decision.reason}`);
}

function hardenWebContents(contents: WebContents): void {
  // The app never navigates away or opens windows of its own.
  contents.on('will-navigate', (event, url) => {
    if (trusted(url)) return;
    event.preventDefault();
    openOutside(url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function createWindow(): Promise<void> {
  const events = new EventBus();
  const paths = resolveAppPaths({ userDataDir: app.getPath('userData'), resourcesDir: join(app.getAppPath(), 'resources') });
  const services = createServices({ paths, transport: 'electron', events, version: app.getVersion(), piDiscovery: true });

  // dispatch checks the method name and both payloads and answers every failure with a result; the catch
  // keeps that promise should a future change throw, since the renderer would get a wordless rejection.
  ipcMain.handle('tinym2:call', async (event, method: unknown, request: unknown): Promise<DispatchResult> => {
    if (!trusted(event.senderFrame?.url)) return { ok: false, error: { code: 'unauthorized', message: 'untrusted sender' } };
    try {
      return await dispatch(services, method, request);
    } catch (e) {
      return { ok: false, error: { code: 'failed', message: e instanceof Error ? e.message : String(e) } };
    }
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
    if (event.sender === win.webContents && trusted(event.senderFrame?.url)) event.sender.send('tinym2:event', 'app.status', { connected: true, transport: 'electron', at: Date.now() });
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
