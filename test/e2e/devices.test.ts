import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ApiEventPayload } from '../../src-main/api/contract';
import { startAgentProcess, type AgentProcess } from '../devices/pi/piFixture';
import { startAppUnderTest, type AppUnderTest } from './appUnderTest';
import { launchChromium, screenshotDir } from './chromium';
import { horizontalOverflow } from './layout';
import { bundledModelRef, literalPattern } from '../fixtures/bundledModels';

// The bundled audio model as the pages name it ("<id> <version>"), followed through rebuilds.
const audioRef = bundledModelRef('coswara-gender-audio');
const audioPattern = literalPattern(audioRef);

describe('Devices page through the bridge, in Debian Chromium', () => {
  let app: AppUnderTest;
  let browser: Browser;
  let agent: AgentProcess | undefined;
  const progress: ApiEventPayload<'device.deployProgress'>[] = [];

  before(async () => {
    app = await startAppUnderTest();
    app.events.subscribe((e, p) => e === 'device.deployProgress' && progress.push(p as ApiEventPayload<'device.deployProgress'>));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    // A simulator left running (a failed test) would keep this process alive.
    if (app) await api('devices.stopSimulator').catch(() => undefined);
    await app?.close();
    await agent?.stop();
  });

  /** A call through the bridge, as another window would make it. */
  async function api(method: string): Promise<void> {
    const url = new URL(app.bridge.url);
    const token = /token=([^&]+)/.exec(url.hash)?.[1] ?? '';
    const res = await fetch(new URL(`/api/${method}`, url), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
    assert.equal(res.status, 200, `${method}: ${await res.text()}`);
  }

  async function openDevices(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    const errors: string[] = [];
    // Refused calls are HTTP errors the browser logs by itself; the page shows their words, checked below.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.bridge.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('heading', { name: 'GAPuino boards (USB)' }).waitFor();
    return { page, errors };
  }

  test('start the simulated GAPuino from the page, deploy the bundled audio model with a progress bar, see it verified', { timeout: 60_000 }, async () => {
    const { page, errors } = await openDevices();
    await page.getByRole('button', { name: 'Start simulated GAPuino' }).click();
    const card = page.getByTestId('device-simulator-gapuino');
    await card.waitFor();
    assert.match(await card.innerText(), /Simulated/);
    assert.match(await card.getByTestId('current-model').innerText(), /no model yet/);

    await card.getByLabel('Model to deploy').selectOption('coswara-gender-audio');
    progress.length = 0;
    await card.getByRole('button', { name: 'Deploy', exact: true }).click();
    const bar = card.getByRole('progressbar', { name: /Deploy progress/ });
    await bar.waitFor();
    const result = card.getByTestId('deploy-result');
    await result.waitFor({ timeout: 30_000 });
    assert.match(await result.innerText(), new RegExp(`Verified.*${audioPattern}.*at most [01] LSB`, 's'));
    assert.equal(await bar.evaluate((el) => (el as unknown as { value: number }).value), 1, 'the bar ends full');
    assert.ok(progress.some((p) => p.stage === 'transfer' && p.fraction > 0.05 && p.fraction < 0.9), 'transfer progress was reported part-way');
    await page.waitForFunction((ref) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(ref), audioRef);
    assert.match(await card.getByTestId('current-model').innerText(), new RegExp(audioPattern));
    // The deploy is in the device's history, kept in the local store.
    await card.getByText('Deploy history').click();
    const history = card.getByTestId('deploy-history');
    await history.waitFor();
    assert.match(await history.locator('tbody tr').first().innerText(), new RegExp(`${audioPattern}\\s+succeeded`));
    assert.equal(await horizontalOverflow(page), 0, 'nothing sticks out sideways at 1024×700');
    await page.screenshot({ path: join(screenshotDir, 'devices-simulated-deploy.png'), fullPage: true });

    // Keyboard: the controls are reachable with Tab and named for screen readers.
    await card.getByRole('button', { name: 'Roll back' }).focus();
    await page.keyboard.press('Enter');
    // Only one model was ever sent to this board, so there is nothing to return to, and the card says so.
    await card.getByTestId('device-error').waitFor();
    assert.match(await card.getByTestId('device-error').innerText(), /no previous model to return to.*keeps running/);

    await page.getByRole('button', { name: 'Stop simulated GAPuino' }).click();
    await card.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Start simulated GAPuino' }).waitFor();

    // Live: a board that appears elsewhere (here the simulator, started through the API) shows up without a click.
    await api('devices.startSimulator');
    await card.waitFor();
    assert.match(await card.getByTestId('current-model').innerText(), new RegExp(audioPattern), 'the simulated flash kept its model');
    await api('devices.stopSimulator');
    await card.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('pair a real Pi agent from the page with its code, see its fingerprint, deploy, roll back, and a wrong code is explained', { timeout: 60_000 }, async () => {
    agent = await startAgentProcess(mkdtempSync(join(tmpdir(), 'tm2-e2e-agent-')));
    const { page, errors } = await openDevices();
    const pair = page.getByRole('region', { name: 'Pair a Raspberry Pi' });
    await pair.getByLabel('Address').fill(`pi://127.0.0.1:${agent.port}`);
    await pair.getByLabel('One-time code').fill(agent.code() === '000000' ? '111111' : '000000');
    await pair.getByRole('button', { name: 'Pair' }).click();
    await pair.getByTestId('pair-error').waitFor();
    assert.match(await pair.getByTestId('pair-error').innerText(), /wrong or expired/);

    await pair.getByLabel('One-time code').fill(agent.code()!);
    await pair.getByRole('button', { name: 'Pair' }).click();
    await pair.getByTestId('pair-result').waitFor();
    assert.equal(await pair.getByTestId('pair-fingerprint').innerText(), agent.fingerprint256);

    const card = page.getByTestId(`device-pi-127-0-0-1-${agent.port}`);
    await card.waitFor();
    assert.match(await card.innerText(), /Ready/);
    for (const model of ['coswara-gender-audio', 'pose-depth-thermal'] as const) {
      await card.getByLabel('Model to deploy').selectOption(model);
      await card.getByRole('button', { name: 'Deploy', exact: true }).click();
      await card.getByTestId('deploy-result').waitFor({ timeout: 30_000 });
      await page.waitForFunction((m) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(`Running: ${m}`), bundledModelRef(model));
    }
    assert.match(await card.getByTestId('deploy-result').innerText(), new RegExp(`value for value.*previous model \\(${audioPattern}\\) is kept`, 's'));
    await page.screenshot({ path: join(screenshotDir, 'devices-pi-deployed.png'), fullPage: true });

    await card.getByRole('button', { name: 'Roll back' }).click();
    await card.getByTestId('rollback-result').waitFor();
    assert.match(await card.getByTestId('rollback-result').innerText(), new RegExp(`runs ${audioPattern} again`));
    await page.waitForFunction((ref) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(`Running: ${ref}`), audioRef);

    // The agent goes away: the next deploy says what to check, right on the card.
    await agent.stop();
    await card.getByRole('button', { name: 'Deploy', exact: true }).click();
    await card.getByTestId('device-error').waitFor();
    assert.match(await card.getByTestId('device-error').innerText(), /Cannot reach the Pi .*tinym2-agent is running/);
    assert.equal(await horizontalOverflow(page), 0);
    await page.screenshot({ path: join(screenshotDir, 'devices-pi-unreachable.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
