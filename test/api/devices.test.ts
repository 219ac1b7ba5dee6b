import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiEventPayload, ApiMethod, ApiResponse } from '../../src-main/api/contract';
import { dispatch, type DispatchResult } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { SIMULATOR_ID } from '../../src-main/api/handlers/devices';
import { createServices } from '../../src-main/api/services';
import type { ServiceHandlers } from '../../src-main/api/dispatch';
import { repoRoot } from '../../src-main/storage/appPaths';
import { listDeployments } from '../../src-main/store/deployments';
import { openStore } from '../../src-main/store/store';
import { bundledModelRef } from '../fixtures/bundledModels';

const AUDIO = bundledModelRef('coswara-gender-audio');
const POSE = bundledModelRef('pose-depth-thermal');

const dataDir = mkdtempSync(join(tmpdir(), 'tm2-devices-api-'));
const resourcesDir = join(repoRoot, 'resources');
const events = new EventBus();
const progress: ApiEventPayload<'device.deployProgress'>[] = [];
const hotplug: ApiEventPayload<'device.hotplug'>[] = [];
events.subscribe((e, p) => {
  if (e === 'device.deployProgress') progress.push(p as ApiEventPayload<'device.deployProgress'>);
  if (e === 'device.hotplug') hotplug.push(p as ApiEventPayload<'device.hotplug'>);
});
let services: ServiceHandlers;

before(() => {
  services = createServices({ paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events, version: 'test' });
});
after(async () => {
  await dispatch(services, 'devices.stopSimulator', {});
});

const call = (method: string, request: unknown): Promise<DispatchResult> => dispatch(services, method, request);

async function ok<M extends ApiMethod>(method: M, request: unknown): Promise<ApiResponse<M>> {
  const r = await call(method, request);
  if (!r.ok) assert.fail(`${method} failed: ${r.error.message}`);
  return r.result as ApiResponse<M>;
}

async function fails(method: string, request: unknown, code: string, message: RegExp, field?: string): Promise<void> {
  const r = await call(method, request);
  assert.equal(r.ok, false, `${method} ${JSON.stringify(request)} should fail`);
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  assert.match(r.error.message, message);
  if (field) assert.equal(r.error.field, field);
}

test('requests are validated and errors name the field', async () => {
  await fails('devices.pairPi', { address: 'http://x y', code: '123456' }, 'invalid_request', /field 'address'.*not a Pi address.*pi:\/\/host:port/, 'address');
  await fails('devices.pairPi', { address: 'pi://127.0.0.1:99999', code: '123456' }, 'invalid_request', /port 99999 is out of range/, 'address');
  await fails('devices.pairPi', { address: '127.0.0.1:8443', code: '12ab' }, 'invalid_request', /field 'code'.*6–8 digit code/, 'code');
  await fails('devices.pairPi', { address: '127.0.0.1:8443', code: '123456', extra: 1 }, 'invalid_request', /field '\(body\)'|extra/);
  await fails('devices.deploy', { deviceId: 'toaster', modelId: 'coswara-gender-audio' }, 'invalid_request', /field 'deviceId'.*device id from devices.list/, 'deviceId');
  await fails('devices.deploy', { deviceId: SIMULATOR_ID, modelId: '' }, 'invalid_request', /field 'modelId'.*choose a model/, 'modelId');
  await fails('devices.deploy', { deviceId: SIMULATOR_ID, modelId: 'no-such-model' }, 'not_found', /field 'modelId': no model with id 'no-such-model'/);
  await fails('devices.deploy', { deviceId: SIMULATOR_ID, modelId: 'coswara-gender-audio' }, 'not_found', /simulated GAPuino is not running; start it first/);
  await fails('devices.deploy', { deviceId: 'gapuino:usb-9-9', modelId: 'coswara-gender-audio' }, 'not_found', /no GAPuino 'gapuino:usb-9-9' is connected.*USB cable/);
  await fails('devices.rollback', { deviceId: 'pi://127.0.0.1:1' }, 'not_found', /not paired with this studio.*pair it again with the code/);
  await fails('devices.unpairPi', { deviceId: 'pi://bad host' }, 'invalid_request', /field 'deviceId'/, 'deviceId');
  assert.deepEqual(await ok('devices.unpairPi', { deviceId: 'pi://127.0.0.1:1' }), { removed: false });
});

test('devices.list reports USB as unavailable with a reason when there is no USB subsystem', async () => {
  const list = await ok('devices.list', {});
  if (!list.usb.available) assert.match(list.usb.reason ?? '', /USB unavailable/);
  assert.equal(list.devices.filter((d) => d.simulated).length, 0, 'no simulator before it is started');
});

test('the simulated GAPuino: start, deploy the bundled audio model with progress and verification, deploy another, roll back, stop', async () => {
  const started = await ok('devices.startSimulator', {});
  assert.equal(started.deviceId, SIMULATOR_ID);
  assert.deepEqual(hotplug.at(-1), { id: SIMULATOR_ID, change: 'attached' });
  const listed = (await ok('devices.list', {})).devices.find((d) => d.id === SIMULATOR_ID);
  assert.ok(listed?.simulated, 'the simulated board is marked as simulated');
  assert.match(listed.name, /Simulated GAPuino/);
  assert.equal(listed.state, 'connected');

  progress.length = 0;
  const r = await ok('devices.deploy', { deviceId: SIMULATOR_ID, modelId: 'coswara-gender-audio' });
  console.log(`simulated GAPuino deploy: ${r.seconds.toFixed(2)} s, max diff ${r.maxDiffLsb} LSB, ${progress.length} progress events`);
  assert.equal(r.modelId, 'coswara-gender-audio');
  assert.ok(r.maxDiffLsb <= 1, `max diff ${r.maxDiffLsb}`);
  assert.match(r.summary, /Verified: .* at most \d LSB/);
  const stages = [...new Set(progress.map((p) => p.stage))];
  assert.deepEqual(stages, ['connect', 'transfer', 'commit', 'verify', 'done']);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.fraction >= progress[i - 1]!.fraction, 'progress never goes backwards');
  assert.equal(progress.at(-1)!.fraction, 1);
  assert.ok(progress.every((p) => p.deviceId === SIMULATOR_ID));
  assert.equal((await ok('devices.list', {})).devices.find((d) => d.id === SIMULATOR_ID)?.model, AUDIO);

  // Two deploys at once to one board: whichever arrives second is refused in words, the other completes.
  const both = await Promise.all([
    call('devices.deploy', { deviceId: SIMULATOR_ID, modelId: 'pose-depth-thermal' }),
    call('devices.deploy', { deviceId: SIMULATOR_ID, modelId: 'pose-depth-thermal' }),
  ]);
  const done = both.filter((x) => x.ok);
  const refused = both.filter((x) => !x.ok);
  assert.equal(done.length, 1, JSON.stringify(both));
  assert.ok(refused.length === 1 && !refused[0]!.ok && /busy with another deploy/.test(refused[0]!.error.message));
  assert.equal((await ok('devices.list', {})).devices.find((d) => d.id === SIMULATOR_ID)?.model, POSE);

  // Every deploy is in the local store's history, newest first, with how it ended (the first test's deploy to
  // the simulator before it ran failed); the refused one was never started.
  const db = openStore({ dataDir });
  try {
    const history = listDeployments(db, SIMULATOR_ID);
    assert.deepEqual(history.map((h) => `${h.modelId} ${h.modelVersion} ${h.result}`), [`${POSE} succeeded`, `${AUDIO} succeeded`, `${AUDIO} failed`]);
    assert.match(history[1]!.detail ?? '', /Verified/);
    assert.match(history[2]!.detail ?? '', /not running/);
    const api = await ok('devices.history', { deviceId: SIMULATOR_ID, limit: 2 });
    assert.deepEqual(api.deployments.map((d) => `${d.modelId} ${d.result}`), ['pose-depth-thermal succeeded', 'coswara-gender-audio succeeded']);
  } finally {
    db.close();
  }

  const back = await ok('devices.rollback', { deviceId: SIMULATOR_ID });
  assert.equal(back.model, AUDIO);
  assert.ok(back.summary.includes(`runs ${AUDIO} again`), back.summary);

  assert.deepEqual(await ok('devices.stopSimulator', {}), { stopped: true });
  assert.deepEqual(hotplug.at(-1), { id: SIMULATOR_ID, change: 'detached' });
  // The flash image persists: started again, the board still runs the model it had.
  assert.equal((await ok('devices.startSimulator', {})).model, AUDIO);
  await ok('devices.stopSimulator', {});
});
