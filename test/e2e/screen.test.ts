import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
import { startVirtualMicrophone, virtualMicrophoneSkip, type VirtualMicrophone } from '../audio/virtualMicrophone';
import { resourcesWithModels } from '../fixtures/modelPackage';
import { audioFixturePackage } from '../screening/audioPackageFixture';
import { bundledModelVersion, literalPattern } from '../fixtures/bundledModels';
import { repoRoot } from '../../src-main/storage/appPaths';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';

// The flows run on the bundled default audio model, as a clinic would use it; a fixture stands in only
// on a checkout where it has not been built.
const bundledAudio = join(repoRoot, 'resources', 'models', 'coswara-gender-audio');
const useBundled = existsSync(join(bundledAudio, 'model.json'));
const modelName = useBundled ? new RegExp(`Cough \\+ speech \\+ breathing.*version ${literalPattern(bundledModelVersion('coswara-gender-audio'))}`) : /Screening fixture.*version 0\.1\.0/;
import { launchChromium, screenshotDir } from './chromium';
import { horizontalOverflow } from './layout';

const files = (id: string) => ({
  cough: join(COSWARA_DIR, id, 'cough-heavy.wav'),
  speech: join(COSWARA_DIR, id, 'counting-normal.wav'),
  breathing: join(COSWARA_DIR, id, 'breathing-deep.wav'),
});

describe('Screen page through the bridge, in Debian Chromium', { skip: coswaraSkip }, () => {
  let app: AppUnderTest;
  let browser: Browser;
  let mic: VirtualMicrophone | undefined;

  before(async () => {
    // A private PulseAudio microphone when the tools are there; without it, Record fails and loading files still works.
    if (!virtualMicrophoneSkip) mic = await startVirtualMicrophone();
    const model = useBundled ? bundledAudio : await audioFixturePackage();
    app = await startAppUnderTest({ resourcesDir: await resourcesWithModels([model]), ...(mic ? { captureEnv: mic.env } : {}) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await mic?.close();
  });

  async function openScreen(width = 1280, height = 900): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('list', { name: 'Capture steps' }).waitFor();
    return { page, errors };
  }

  async function load(page: Page, modality: string, file: string): Promise<void> {
    await page.getByLabel(`Load WAV file for ${modality}`).setInputFiles(file);
    await page.getByTestId(`take-${modality}`).waitFor();
  }

  test('three real WAVs loaded, screened, and the result card shows the answer, contributions and disclaimer', async () => {
    const { page, errors } = await openScreen();
    const code = await page.getByLabel('Subject code').inputValue();
    assert.match(code, /^S-[A-Z2-9]{6}$/);
    const wav = files('Eoyf44CUffgVCPPjJJkopEyAO7k2');
    for (const [m, f] of Object.entries(wav)) await load(page, m, f);
    for (const m of Object.keys(wav)) {
      const step = page.getByTestId(`step-${m}`);
      assert.notEqual(await step.getAttribute('data-status'), 'unusable');
      assert.equal(await step.locator('svg.wave path').count(), 1, `${m} waveform drawn`);
      assert.equal(await step.locator('audio').count(), 1, `${m} can be replayed`);
      // The player really loads the take (the page's CSP allows blob: media).
      const duration = await step.locator('audio').evaluate(
        (el) => new Promise<number>((resolve) => {
          const a = el as unknown as { readyState: number; duration: number; addEventListener(t: string, f: () => void): void };
          if (a.readyState >= 1) resolve(a.duration);
          else a.addEventListener('loadedmetadata', () => resolve(a.duration));
        }),
      );
      assert.ok(duration > 1, `${m} plays back ${duration} s`);
    }
    assert.match(await page.getByText(/3 of 3 recordings ready/).innerText(), /3 of 3/);
    await page.screenshot({ path: join(screenshotDir, 'screen-loaded.png'), fullPage: true });
    await page.getByRole('button', { name: 'Run screening' }).click();
    const card = page.getByTestId('result-card');
    await card.waitFor();
    const text = await card.innerText();
    assert.match(await page.getByTestId('result-label').innerText(), /^(female|male)$/i);
    assert.match(text, /Confidence\s+\d+ %/);
    assert.match(text, modelName);
    assert.match(text, new RegExp(`Subject ${code}`));
    for (const m of Object.keys(wav)) assert.match(text, new RegExp(`${m}\\s+\\d+ %`, 'i'));
    assert.match(await page.getByTestId('disclaimer').innerText(), /This is a screening aid, not a diagnosis\./);
    assert.equal(await card.getByTestId('result-missing').count(), 0);

    const folder = join(await mkdtemp(join(tmpdir(), 'tinym2-e2e-report-')), 'out');
    await card.getByLabel(/Save the report/).fill(folder);
    await card.getByRole('button', { name: 'Save report' }).click();
    await card.getByRole('status').waitFor();
    assert.deepEqual(readdirSync(folder).map((f) => f.split('.').pop()).sort(), ['csv', 'html', 'json']);
    await page.screenshot({ path: join(screenshotDir, 'screen-result.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('an empty WAV is named next to its modality and the screening runs on the others', async () => {
    const { page, errors } = await openScreen(1024, 700);
    const wav = files('Eoyf44CUffgVCPPjJJkopEyAO7k2');
    await load(page, 'cough', join(COSWARA_DIR, 'TRK6gUseEUS7dbF0soG80W1uLm53', 'cough-heavy.wav'));
    await load(page, 'speech', wav.speech);
    await load(page, 'breathing', wav.breathing);
    const cough = page.getByTestId('step-cough');
    assert.equal(await cough.getAttribute('data-status'), 'unusable');
    assert.match(await cough.getByRole('alert').innerText(), /cough-heavy\.wav: the recording is empty \(0 samples\)/);
    assert.match(await page.getByText(/2 of 3 recordings ready/).innerText(), /the others will be named as left out/);
    await page.screenshot({ path: join(screenshotDir, 'screen-empty-take.png'), fullPage: true });
    await page.getByRole('button', { name: 'Run screening' }).click();
    const missing = page.getByTestId('result-missing');
    await missing.waitFor();
    assert.equal(await horizontalOverflow(page), 0, 'nothing sticks out sideways at 1024×700');
    assert.match(await missing.innerText(), /cough: cough-heavy\.wav: the recording is empty \(0 samples\)/);
    const text = await page.getByTestId('result-card').innerText();
    assert.match(text, /speech\s+\d+ %/i);
    assert.doesNotMatch(text.split('Left out')[0]!, /cough\s+\d+ %/i);
    // Retake clears the unusable take and offers loading again.
    await cough.getByRole('button', { name: 'Retake cough' }).click();
    await page.getByLabel('Load WAV file for cough').waitFor({ state: 'attached' });
    await page.getByText(/The recordings have changed since this result/).waitFor();
    await page.screenshot({ path: join(screenshotDir, 'screen-empty-result.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a full screening from the microphone: countdown, live meter and waveform, replayable takes, then the result', { skip: virtualMicrophoneSkip, timeout: 120_000 }, async () => {
    const { page, errors } = await openScreen(1024, 700);
    const step = page.getByTestId('step-cough');
    const box = async () => (await step.boundingBox())!.height;
    const idleHeight = await box();
    await step.getByRole('button', { name: 'Record cough' }).click();
    const meter = step.getByRole('meter', { name: 'Microphone level' });
    await meter.waitFor();
    await step.locator('svg.wave path').waitFor();
    const playing = mic!.play(join(COSWARA_DIR, 'Eoyf44CUffgVCPPjJJkopEyAO7k2', 'cough-heavy.wav'));
    playing.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    // Wait for the cough to reach the meter, then look at the step mid-take.
    const deadline = Date.now() + 10_000;
    while (Number(await meter.getAttribute('aria-valuenow')) <= -45 && Date.now() < deadline) await page.waitForTimeout(50);
    assert.match(await step.innerText(), /[1-5] s left/);
    assert.ok(Math.abs((await box()) - idleHeight) <= 2, 'the step keeps its height while recording');
    await page.screenshot({ path: join(screenshotDir, 'screen-recording.png') });
    await playing;
    await step.getByTestId('take-cough').waitFor({ timeout: 20_000 });
    assert.equal(await step.getAttribute('data-status'), 'good');
    assert.match(await step.innerText(), /microphone · 5\.0 s/);
    assert.equal(await step.locator('audio').count(), 1);
    await page.screenshot({ path: join(screenshotDir, 'screen-recorded.png') });

    // The other two takes, each played into the virtual microphone once the recorder is listening.
    for (const [modality, file] of [['speech', 'counting-normal.wav'], ['breathing', 'breathing-deep.wav']] as const) {
      const s = page.getByTestId(`step-${modality}`);
      await s.getByRole('button', { name: `Record ${modality}` }).click();
      const m = s.getByRole('meter', { name: 'Microphone level' });
      await m.waitFor();
      const audio = mic!.play(join(COSWARA_DIR, 'Eoyf44CUffgVCPPjJJkopEyAO7k2', file));
      audio.catch(() => undefined);
      await s.getByTestId(`take-${modality}`).waitFor({ timeout: 30_000 });
      await audio;
      assert.notEqual(await s.getAttribute('data-status'), 'unusable', `${modality} take is usable`);
    }
    await page.getByRole('button', { name: 'Run screening' }).click();
    const card = page.getByTestId('result-card');
    await card.waitFor();
    assert.match(await page.getByTestId('result-label').innerText(), /^(female|male)$/i);
    assert.match(await card.innerText(), modelName);
    assert.equal(await card.getByTestId('result-missing').count(), 0, 'all three takes came from the microphone');
    await page.screenshot({ path: join(screenshotDir, 'screen-microphone-result.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
