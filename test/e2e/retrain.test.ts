import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { dispatch } from '../../src-main/api/dispatch';
import { openDataset } from '../../src-main/datasets/openDataset';
import { loadPackage } from '../../src-main/models/catalog';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { DEFAULT_POSE_DATA } from '../../src-main/train/poseRecipe';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
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
    // A device to deploy to from the last step: the simulated GAPuino (the firmware's host build).
    const sim = await dispatch(app.services, 'devices.startSimulator', {});
    assert.ok(sim.ok, !sim.ok ? sim.error.message : '');
    await page.getByRole('button', { name: 'Accept and install' }).click();

    // 6. Installed: a valid int8 package the Models page lists.
    const decision = page.getByTestId('decision');
    await decision.waitFor();
    const modelId = (await decision.locator('code').first().innerText()).trim();
    assert.ok(await decision.getByRole('link', { name: 'Devices' }).isVisible());
    // 6. Deploy: the accepted model goes to the connected device and is verified against onnxruntime.
    await page.getByLabel('Device', { exact: true }).selectOption('simulator:gapuino');
    await page.getByRole('button', { name: 'Deploy and verify' }).click();
    const deployed = page.getByTestId('deploy-accepted-result');
    await deployed.waitFor({ timeout: 60_000 });
    assert.match(await deployed.innerText(), new RegExp(modelId));
    await page.screenshot({ path: join(screenshotDir, 'retrain-accepted.png'), fullPage: true });
    assert.ok((await dispatch(app.services, 'devices.stopSimulator', {})).ok);
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

  test('screenings recorded in the app are labelled on the Import step and imported into the store', { timeout: 120_000 }, async () => {
    // Three earlier screenings, made as the Screen page makes them: takes uploaded, then classified.
    const people = openDataset(COSWARA_DIR).subjects.filter((s) => s.id !== EMPTY_COUGH_SUBJECT && s.recordings.cough && s.recordings.speech && (s.labels.g === 'male' || s.labels.g === 'female'));
    const chosen = [people.find((s) => s.labels.g === 'female')!, people.find((s) => s.labels.g === 'male')!, people.filter((s) => s.labels.g === 'male')[1]!];
    for (const [i, s] of chosen.entries()) {
      const takes: Record<string, string> = {};
      for (const m of ['cough', 'speech']) {
        const up = await dispatch(app.services, 'screen.uploadRecording', { modality: m, fileName: basename(s.recordings[m]!), base64: readFileSync(s.recordings[m]!).toString('base64') });
        assert.ok(up.ok);
        takes[m] = (up.result as { takeId: string }).takeId;
      }
      const screened = await dispatch(app.services, 'screen.classifyTakes', { modelId: 'coswara-gender-audio', takes, subjectCode: `CLINIC-${i + 1}` });
      assert.ok(screened.ok, !screened.ok ? screened.error.message : '');
    }

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Retrain', exact: true }).click();
    await page.getByText('Or label screenings recorded in this app').click();
    await page.getByRole('button', { name: 'Show sessions recorded here' }).click();
    const rows = page.getByTestId('session-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    await page.getByLabel('Label name').fill('sex');
    // Label two of the three; the third stays out.
    for (const [i, s] of chosen.slice(0, 2).entries()) {
      await page.getByLabel(new RegExp(`Confirmed label for CLINIC-${i + 1},`)).fill(s.labels.g!);
    }
    await page.screenshot({ path: join(screenshotDir, 'retrain-sessions.png'), fullPage: true });
    await page.getByRole('button', { name: 'Import 2 labelled sessions' }).click();
    const report = page.getByTestId('import-report');
    await report.waitFor();
    const text = await report.innerText();
    assert.match(text, /4 of 4 recordings imported/);
    assert.match(text, /from 2 participants/);
    assert.match(text, /screening sessions/);
    assert.equal(await page.getByLabel('Label to learn').inputValue(), 'sex');
    await page.getByRole('button', { name: 'Review data' }).click();
    const warnings = page.getByTestId('review-warnings');
    await warnings.waitFor();
    assert.match(await warnings.innerText(), /only 2 labelled participants/);
    assert.match(await page.getByTestId('class-female').innerText(), /1/);
    assert.deepEqual(errors, []);
  });

  test('a folder of depth + thermal frames retrains the pose model through the same wizard', { timeout: 180_000 }, async () => {
    const frames = join(dir, 'ward-frames');
    await generatePoseSet({ out: frames, n: 120, seed: 91, subjects: 7, depthSize: DEFAULT_POSE_DATA.depthSize, thermalSize: DEFAULT_POSE_DATA.thermalSize, sheetPerClass: 0 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Retrain', exact: true }).click();
    await page.getByLabel('Data set path').fill(frames);
    await page.getByRole('button', { name: 'Import' }).click();
    const report = page.getByTestId('import-report');
    await report.waitFor();
    assert.match(await report.innerText(), /120 of 120 frame pairs imported\s+from 7 participants/);
    assert.equal(await page.getByLabel('Label to learn').inputValue(), 'pose');
    await page.getByRole('button', { name: 'Review data' }).click();
    await page.getByTestId('split-preview').waitFor();
    assert.match(await page.locator('main').innerText(), /Class balance \(frames per class\)/);
    assert.match(await page.getByTestId('class-standing').innerText(), /20/);
    await page.getByRole('button', { name: 'Choose target' }).click();
    await page.getByLabel('Recipe').selectOption('quick');
    await page.getByLabel('Epochs per model').fill('2');
    await page.getByRole('button', { name: 'Start training' }).click();
    const comparison = page.getByTestId('comparison');
    await comparison.waitFor({ timeout: 150_000 });
    const text = await comparison.innerText();
    assert.match(text, /pose-depth-thermal/);
    assert.match(text, /Frames scored\s+(\d+)\s+\1/, 'both models scored on the same held-out frames');
    await page.screenshot({ path: join(screenshotDir, 'retrain-pose-compare.png'), fullPage: true });
    assert.equal(await horizontalOverflow(page), 0);
    assert.deepEqual(errors, []);
  });
});
