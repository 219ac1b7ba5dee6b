import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { encodeGrey8Png } from '../../src-main/frames/png16';
import { repoRoot } from '../../src-main/storage/appPaths';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';
import { launchChromium, screenshotDir } from './chromium';
import { horizontalOverflow } from './layout';

const LABELS = /^(standing|sitting|lying|fallen|bending|hands raised)$/i;

describe('Pose page through the bridge, in Debian Chromium', () => {
  let app: AppUnderTest;
  let browser: Browser;
  let dir: string;
  /** [depth, thermal] file pairs written by the generator CLI. */
  const pairs: [string, string][] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinym2-pose-e2e-'));
    execFileSync(process.execPath, [join(repoRoot, 'bin/tinym2.mjs'), 'generate-pose', '--out', dir, '--n', '6', '--seed', '7'], { stdio: 'pipe' });
    for (const label of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      for (const subject of readdirSync(join(dir, label))) {
        const files = readdirSync(join(dir, label, subject)).sort();
        const depth = files.find((f) => f.endsWith('_depth.png'))!;
        pairs.push([join(dir, label, subject, depth), join(dir, label, subject, depth.replace('_depth', '_thermal'))]);
      }
    }
    app = await startAppUnderTest();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openPose(width: number, height: number): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pose', exact: true }).click();
    await page.getByRole('combobox', { name: 'Model' }).waitFor();
    return { page, errors };
  }

  const previewShown = (page: Page, role: string) =>
    page.getByTestId(`preview-${role}`).evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0);

  test('a pair chosen together is paired by name, shown in false colour with scales, and classified', async () => {
    const { page, errors } = await openPose(1024, 700);
    // Two pairs at once (four files, shuffled): the page pairs them by name and offers both.
    const [a, b] = [pairs[0]!, pairs[3]!];
    await page.getByLabel('Load depth and thermal frame files together (paired by name)').setInputFiles([b[1], a[0], b[0], a[1]]);
    await page.getByTestId('preview-depth').waitFor();
    await page.getByTestId('preview-thermal').waitFor();
    assert.ok(await previewShown(page, 'depth'), 'depth preview decoded');
    assert.ok(await previewShown(page, 'thermal'), 'thermal preview decoded');
    assert.match(await page.getByTestId('pair-note').innerText(), /2 frames found \(2 complete pairs\)/);
    assert.equal(await page.getByRole('combobox', { name: 'Frame' }).locator('option').count(), 2);
    const depthPanel = await page.getByTestId('frame-depth').innerText();
    const thermalPanel = await page.getByTestId('frame-thermal').innerText();
    assert.match(depthPanel, /Distance \(m\)/);
    assert.match(depthPanel, /160×120 px · \d\.\d\d–\d\.\d\d m/);
    assert.match(thermalPanel, /Temperature \(°C\)/);
    assert.match(thermalPanel, /32×24 px · \d+\.\d–\d+\.\d °C/);
    await page.screenshot({ path: join(screenshotDir, 'pose-loaded.png') });
    for (const scale of [/^Colour scale: distance from 0\.3 to 6\.0 m$/, /^Colour scale: temperature from 15 to 38 °C$/]) {
      assert.match((await page.getByRole('img', { name: scale }).getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    }

    await page.getByRole('button', { name: 'Classify pose' }).click();
    const card = page.getByTestId('pose-result');
    await card.waitFor();
    assert.match(await page.getByTestId('pose-label').innerText(), LABELS);
    assert.match(await page.getByTestId('pose-confidence').innerText(), /^\d+ %$/);
    const text = await card.innerText();
    assert.match(text, /depth\s+\d+ %/i);
    assert.match(text, /thermal\s+\d+ %/i);
    assert.match(text, /Model: Body pose from depth \+ thermal.*version \d+\.\d+\.\d+/);
    assert.equal(await page.getByTestId('pose-missing').count(), 0);
    // The answer takes the focus (read out, scrolled into view at 1024×700).
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id), 'pose-result-title');
    await page.screenshot({ path: join(screenshotDir, 'pose-result-viewport.png') });
    assert.equal(await horizontalOverflow(page), 0, 'nothing sticks out sideways at 1024×700');
    await page.screenshot({ path: join(screenshotDir, 'pose-result.png'), fullPage: true });

    // The other pair from the same choice replaces both frames and clears the old answer.
    await page.getByRole('combobox', { name: 'Frame' }).selectOption({ index: 1 });
    await card.waitFor({ state: 'detached' });
    await page.getByTestId('preview-depth').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a wrong-bit-depth depth file is named in place; thermal alone still answers and names depth as missing', async () => {
    const { page, errors } = await openPose(1024, 700);
    const bad = join(dir, 'preview_depth.png');
    writeFileSync(bad, encodeGrey8Png(40, 30, new Uint8Array(1200).fill(120)));
    await page.getByLabel('Load depth frame file').setInputFiles(bad);
    const alert = page.getByTestId('frame-depth').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /preview_depth\.png: depth PNG must be 16-bit millimetres, found 8-bit/);
    assert.equal(await page.getByTestId('frame-depth').getAttribute('data-status'), 'error');

    // An 8-bit thermal picture is refused until its range is declared, then shown.
    const grey = join(dir, 'cam_thermal.png');
    writeFileSync(grey, encodeGrey8Png(32, 24, new Uint8Array(768).fill(102)));
    await page.getByLabel('Load thermal frame file').setInputFiles(grey);
    const rangeForm = page.getByTestId('thermal-range');
    await rangeForm.waitFor();
    assert.match(await page.getByTestId('frame-thermal').getByRole('alert').innerText(), /cam_thermal\.png: 8-bit thermal PNG has no temperatures of its own; say which temperatures its black and white stand for \(below\)/);
    await page.getByLabel('Temperature of black, °C').fill('20');
    await page.getByLabel('Temperature of white, °C').fill('45');
    await page.screenshot({ path: join(screenshotDir, 'pose-thermal-range.png'), fullPage: true });
    await rangeForm.getByRole('button', { name: 'Use this range' }).click();
    await page.getByTestId('preview-thermal').waitFor();
    assert.match(await page.getByTestId('frame-thermal').innerText(), /32×24 px · 30\.0–30\.0 °C/);
    assert.equal(await rangeForm.count(), 0);

    await page.getByLabel('Load thermal frame file').setInputFiles(pairs[1]![1]);
    await page.getByTestId('frame-thermal').getByText(/f\d+_thermal\.png/).waitFor();
    await page.getByTestId('preview-thermal').waitFor();
    assert.match(await page.locator('#run-hint').innerText(), /Only thermal is loaded.*depth frame will be named as missing/);
    await page.getByRole('button', { name: 'Classify pose' }).click();
    const missing = page.getByTestId('pose-missing');
    await missing.waitFor();
    assert.match(await missing.innerText(), /depth: no depth frame was loaded/);
    assert.match(await page.getByTestId('pose-result').innerText(), /thermal\s+100 %/i);
    assert.equal(await horizontalOverflow(page), 0);
    await page.screenshot({ path: join(screenshotDir, 'pose-missing-depth.png'), fullPage: true });
    // The two refused uploads are the only failed requests the browser reports; nothing else went wrong.
    assert.deepEqual(errors.filter((e) => !/status of 500/.test(e)), []);
    assert.equal(errors.length, 2);
    await page.close();
  });

  test('every control is reachable with the keyboard and has a name', async () => {
    const { page } = await openPose(1024, 700);
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const name = await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null; textContent: string | null; tagName: string } | null } }).document.activeElement;
        return el ? (el.getAttribute('aria-label') ?? el.textContent ?? el.tagName).trim() : '';
      });
      seen.add(name);
    }
    for (const name of ['Load depth and thermal frame files together (paired by name)', 'Load depth frame file', 'Load thermal frame file']) assert.ok(seen.has(name), `${name} reachable by Tab (saw ${[...seen].join(' | ')})`);
    await page.close();
  });
});
