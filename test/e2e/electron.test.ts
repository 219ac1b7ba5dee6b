import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { _electron } from 'playwright-core';
import { findElectronBinary } from '../../src-main/electron/electronBinary';
import { repoRoot } from '../../src-main/storage/appPaths';
import { screenshotDir } from './chromium';

const binary = findElectronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const skipReason = 'missing' in binary ? `Electron end-to-end test skipped: ${binary.missing}` : noDisplay ? 'Electron end-to-end test skipped: no display (run under xvfb-run)' : undefined;
if (skipReason) console.log(skipReason);

test('the Electron window is isolated and talks to the services only through the preload API', { skip: skipReason }, async () => {
  assert.ok('path' in binary && existsSync(join(repoRoot, 'out', 'main', 'main.js')), 'run `npm run build` first');
  const app = await _electron.launch({ executablePath: binary.path, args: [repoRoot], env: { ...process.env, TINYM2_DATA_DIR: join(repoRoot, 'test-results', 'electron-data') } });
  try {
    const win = await app.firstWindow();
    await win.getByText('Connected (electron)').waitFor();
    // No Node in the page; the preload exposes exactly one object with two functions.
    const exposure = await win.evaluate('({ require: typeof require, process: typeof process, api: Object.keys(window.tinym2).sort() })');
    assert.deepEqual(exposure, { require: 'undefined', process: 'undefined', api: ['invoke', 'subscribe'] });
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const wc = BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> };
      const p = wc.getLastWebPreferences();
      return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
    });
    assert.deepEqual(prefs, { contextIsolation: true, sandbox: true, nodeIntegration: false });
    const bad = await win.evaluate("window.tinym2.invoke('models.get', { id: 7 })");
    assert.deepEqual((bad as { error: { field: string } }).error.field, 'id');
    await win.screenshot({ path: join(screenshotDir, 'electron-window.png') });
  } finally {
    await app.close();
  }
});
