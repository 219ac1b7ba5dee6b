import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { modelPackageMetaSchema, type ModelPackageMeta } from '../../src-main/models/packageMeta';
import { repoRoot } from '../../src-main/storage/appPaths';
import { resourcesWithModels, writeFixturePackage } from '../fixtures/modelPackage';
import { audioFixturePackage } from '../screening/audioPackageFixture';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';
import { launchChromium, screenshotDir } from './chromium';
import { horizontalOverflow } from './layout';

/** The part of a browser canvas the pixel check reads (this file is type-checked without the DOM library). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** The bundled default model when it has been trained into resources/, else the quickly built fixture. */
const DEFAULT_DIR = join(repoRoot, 'resources', 'models', 'coswara-gender-audio');

describe('Models page through the bridge, in Debian Chromium', () => {
  let app: AppUnderTest;
  let browser: Browser;
  let meta: ModelPackageMeta;

  before(async () => {
    const pkg = existsSync(join(DEFAULT_DIR, 'model.json')) ? DEFAULT_DIR : await audioFixturePackage();
    console.log(`Models page shows ${pkg}`);
    meta = modelPackageMetaSchema.parse(JSON.parse(await readFile(join(pkg, 'model.json'), 'utf8')));
    app = await startAppUnderTest({ resourcesDir: await resourcesWithModels([pkg]) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('the default model card shows its badges, and its details show the layer table and a drawn Pareto plot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models', exact: true }).click();
    const card = page.getByTestId('model-card').filter({ hasText: meta.name });
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, new RegExp(meta.task.labels.join(' · ')));
    assert.match(text, new RegExp(meta.modalities.map((m) => m.name).join(', ')));
    assert.ok(meta.accuracy[0]);
    assert.ok(text.includes(meta.accuracy[0].method), 'accuracy is shown with its evaluation method');
    const badges = card.getByRole('list', { name: 'Memory fit per target' }).getByRole('listitem');
    assert.equal(await badges.count(), meta.memory.fits.length);
    assert.equal(await card.locator('.fits .badge.ok').count(), meta.memory.fits.filter((f) => f.fits).length);
    await page.screenshot({ path: join(screenshotDir, 'models-cards.png'), fullPage: true });

    await card.getByRole('button', { name: 'Details' }).click();
    const details = page.getByTestId('model-details');
    await details.locator('table.layers').waitFor();
    assert.equal(await details.locator('table.layers tbody tr').count(), meta.layers.length);
    assert.match(await details.innerText(), /Memory per target[\s\S]*Cluster L1[\s\S]*(fits|does not fit)/);
    const canvas = details.getByTestId('pareto-plot').locator('canvas');
    await canvas.waitFor();
    // The plot has drawn: a good share of its pixels are not blank.
    const inked = await canvas.evaluate((el) => {
      const c = el as unknown as CanvasLike;
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n / (c.width * c.height);
    });
    assert.ok(inked > 0.002, `Pareto canvas has ink on ${(inked * 100).toFixed(2)} % of its pixels`);
    const chosen = meta.pareto.find((p) => p.chosen);
    if (chosen) assert.match((await details.getByTestId('pareto-plot').getByRole('img').getAttribute('aria-label')) ?? '', new RegExp(`chosen ${chosen.label}`));
    await details.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, 'models-details.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('import and export from the page: a new package appears, a duplicate is refused with a reason', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models', exact: true }).click();
    await page.getByTestId('model-card').first().waitFor();
    const before = await page.getByTestId('model-card').count();
    const pkg = await writeFixturePackage();
    await page.getByLabel('Import a model package folder').fill(pkg);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Imported Fixture audio model v0.0.1' }).waitFor();
    assert.equal(await page.getByTestId('model-card').count(), before + 1);
    await page.getByLabel('Import a model package folder').fill(pkg);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /already installed \(version 0\.0\.1\)/ }).waitFor();

    const dest = await mkdtemp(join(tmpdir(), 'tinym2-e2e-export-'));
    const card = page.getByTestId('model-card').filter({ hasText: 'Fixture audio model' });
    await card.getByRole('button', { name: 'Export…' }).click();
    await card.getByLabel('Copy this package into folder').fill(dest);
    await card.getByRole('button', { name: 'Export', exact: true }).click();
    await card.getByRole('status').waitFor();
    assert.deepEqual(readdirSync(join(dest, 'fixture-audio')).sort(), ['model.int8.onnx', 'model.json']);
    await page.getByTestId('model-card').first().getByRole('button', { name: 'Details' }).click();
    await page.getByTestId('pareto-plot').locator('canvas').waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'nothing sticks out sideways at 1024×700');
    await page.screenshot({ path: join(screenshotDir, 'models-import-export.png'), fullPage: true });
    await page.close();
  });
});
