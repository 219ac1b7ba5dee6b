import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { loadPackage } from '../../src-main/models/catalog';
import { coswaraSkip } from '../audio/coswaraFixture';
import { EMPTY_COUGH_SUBJECT, writeCoswaraManifest } from '../api/retrainManifest';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';
import { launchChromium, screenshotDir } from './chromium';
import { horizontalOverflow } from './layout';

describe('Retrain wizard through the bridge, in Debian Chromium', { skip: coswaraSkip }, () => {
  let app: AppUnderTest;
  let browser: Browser;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-e2e-'));
    app = await startAppUnderTest();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('import 20 real participants (one with empty files), review, quick training with live curves, compare, accept: an int8 package on the Models page', { timeout: 300_000 }, async () => {
    const manifest = writeCoswaraManifest(dir, 10);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Retrain', exact: true }).click();

    // 1. Import: the empty files are listed by participant and modality; the rest went in.
    await page.getByLabel('Data set path').fill(manifest);
    await page.getByRole('button', { name: 'Import' }).click();
    const report = page.getByTestId('import-report');
    await report.waitFor();
    const reportText = await report.innerText();
    assert.match(reportText, /60 of 63 recordings imported/);
    assert.match(reportText, /from 20 participants/);
    assert.match(reportText, /3 files could not be used/);
    assert.equal(await report.locator('table.failed tbody tr').filter({ hasText: EMPTY_COUGH_SUBJECT }).count(), 3);
    assert.equal(await report.locator('table.failed tbody tr').filter({ hasText: 'cough-heavy.wav' }).count(), 1);
    await page.screenshot({ path: join(screenshotDir, 'retrain-import.png'), fullPage: true });

    // 2. Review: balance, split preview with both classes held out.
    assert.equal(await page.getByLabel('Label to learn').inputValue(), 'label');
    await page.getByRole('button', { name: 'Review data' }).click();
    await page.getByTestId('split-preview').waitFor();
    assert.match(await page.getByTestId('class-female').innerText(), /10/);
    assert.match(await page.getByTestId('class-male').innerText(), /10/);
    const splitText = await page.getByTestId('split-preview').innerText();
    assert.match(splitText, /Held out\s+4\s+2\s+2/);
    assert.match(splitText, /Training \+ validation\s+16\s+8\s+8/);
    await page.screenshot({ path: join(screenshotDir, 'retrain-review.png'), fullPage: true });

    // 3. Target: GAP8 L2 by default; a quick recipe with 2 epochs.
    await page.getByRole('button', { name: 'Choose target' }).click();
    assert.equal(await page.getByLabel('Device and memory level').inputValue(), 'gap8:l2');
    await page.getByLabel('Recipe').selectOption('quick');
    await page.getByLabel('Epochs per model').fill('2');
    await page.screenshot({ path: join(screenshotDir, 'retrain-target.png'), fullPage: true });
    await page.getByRole('button', { name: 'Start training' }).click();

    // 4. Train: curves are drawn while it runs, then the Pareto plot; the wizard moves on by itself.
    await page.getByTestId('train-progress').waitFor();
    await page.getByTestId('training-curves').locator('.plot canvas').first().waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(screenshotDir, 'retrain-training.png'), fullPage: true });
    const comparison = page.getByTestId('comparison');
    await comparison.waitFor({ timeout: 240_000 });

    // 5. Compare on the same held-out participants.
    const compareText = await comparison.innerText();
    assert.match(compareText, /coswara-gender-audio|Coswara/);
    assert.match(compareText, /Participants scored\s+4\s+4/);
    assert.equal(await page.locator('table.confusion').count(), 2);
    await page.getByTestId('pareto-plot').locator('canvas').first().waitFor();
    await page.screenshot({ path: join(screenshotDir, 'retrain-compare.png'), fullPage: true });
    assert.equal(await horizontalOverflow(page), 0, 'nothing sticks out sideways');
    await page.getByRole('button', { name: 'Accept and install' }).click();

    // 6. Installed: a valid int8 package the Models page lists.
    const decision = page.getByTestId('decision');
    await decision.waitFor();
    const modelId = (await decision.locator('code').first().innerText()).trim();
    assert.ok(await decision.getByRole('link', { name: 'Devices' }).isVisible());
    await page.screenshot({ path: join(screenshotDir, 'retrain-accepted.png'), fullPage: true });
    const pkgDir = join(app.dataDir, 'models', modelId);
    const meta = await loadPackage(pkgDir);
    assert.ok(!('reason' in meta), 'reason' in meta ? meta.reason : '');
    if (!('reason' in meta)) {
      assert.deepEqual(meta.task.labels, ['female', 'male']);
      assert.ok(meta.int8 && existsSync(join(pkgDir, meta.files.int8Onnx)));
      assert.equal(meta.pareto?.length, 2);
    }
    await page.getByRole('link', { name: 'Models page' }).click();
    await page.getByTestId('model-card').filter({ hasText: 'retrained' }).waitFor();
    await page.screenshot({ path: join(screenshotDir, 'retrain-models-page.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
