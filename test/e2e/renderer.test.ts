import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { routes } from '../../src-renderer/src/routes';
import { resourcesWithModels, writeFixturePackage } from '../fixtures/modelPackage';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';
import { launchChromium, screenshotDir } from './chromium';

describe('renderer through the bridge, in Debian Chromium', () => {
  let app: AppUnderTest;
  let browser: Browser;

  before(async () => {
    const resourcesDir = await resourcesWithModels([await writeFixturePackage()]);
    app = await startAppUnderTest({ resourcesDir });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('the app loads with the token, connects its event socket, and every page opens', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(app.bridge.url);
    // The token leaves the address bar at once.
    await page.waitForFunction("!location.hash.includes('token=')");
    await page.getByText('Connected (bridge)').waitFor();
    for (const r of routes) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: r.label, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: r.label, exact: true }).getAttribute('aria-current'), 'page');
      await page.screenshot({ path: join(screenshotDir, `page-${r.id}.png`), fullPage: true });
    }
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  test('the Models page lists the installed package with its metadata and memory fit', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models', exact: true }).click();
    const card = page.getByTestId('model-card');
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, /Fixture audio model/);
    assert.match(text, /female · male/);
    assert.match(text, /cough, speech/);
    assert.match(text, /81\.2 %/);
    assert.match(text, /5\.66 KB/);
    assert.match(text, /fits GAP8 cluster L1/);
    assert.match(text, /too big for GAP8 FC L1/);
    await card.getByRole('button', { name: 'Details' }).click();
    const details = page.getByTestId('model-details');
    assert.match(await details.locator('table.layers').innerText(), /cough\/conv1\s+conv2d\s+32×20×8/);
    await page.screenshot({ path: join(screenshotDir, 'page-models-listed.png'), fullPage: true });
    await page.close();
  });

  test('the Screen page guides through the chosen model\'s modalities', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    await page.goto(app.bridge.url);
    const steps = page.getByRole('list', { name: 'Capture steps' });
    await steps.waitFor();
    assert.match(await steps.innerText(), /cough[\s\S]*Cough three times[\s\S]*speech[\s\S]*Count from 1 to 20/i);
    await page.close();
  });

  test('without the token the page says how to get in, and the API refuses it', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.bridge.origin}/`);
    await page.getByRole('heading', { name: 'Not authorised' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/models.list', { method: 'POST', body: '{}' })).status);
    assert.equal(status, 401);
    await page.screenshot({ path: join(screenshotDir, 'page-no-token.png') });
    await page.close();
  });

  test('an empty models folder shows a clear empty state', async () => {
    const empty = await startAppUnderTest({ resourcesDir: await resourcesWithModels([]) });
    try {
      const page = await browser.newPage();
      await page.goto(empty.bridge.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models', exact: true }).click();
      await page.getByTestId('models-empty').waitFor();
      assert.match(await page.getByTestId('models-empty').innerText(), /No models yet/);
      await page.close();
    } finally {
      await empty.close();
    }
  });
});
