import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiEventPayload, ApiMethod, ApiResponse } from '../../src-main/api/contract';
import { dispatch, type DispatchResult, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { repoRoot } from '../../src-main/storage/appPaths';
import { startAgentProcess, type AgentProcess } from '../devices/pi/piFixture';
import { bundledModelRef } from '../fixtures/bundledModels';

const AUDIO = bundledModelRef('coswara-gender-audio');
const POSE = bundledModelRef('pose-depth-thermal');

const root = mkdtempSync(join(tmpdir(), 'tm2-devices-pi-api-'));
const dataDir = join(root, 'studio');
const resourcesDir = join(repoRoot, 'resources');
const events = new EventBus();
const progress: ApiEventPayload<'device.deployProgress'>[] = [];
events.subscribe((e, p) => e === 'device.deployProgress' && progress.push(p as ApiEventPayload<'device.deployProgress'>));
let services: ServiceHandlers;
let agent: AgentProcess;
let impostor: AgentProcess | undefined;

before(async () => {
  services = createServices({ paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events, version: 'test' });
  agent = await startAgentProcess(join(root, 'agent'));
});
after(async () => {
  await agent?.stop();
  await impostor?.stop();
});

const call = (method: string, request: unknown): Promise<DispatchResult> => dispatch(services, method, request);
async function ok<M extends ApiMethod>(method: M, request: unknown): Promise<ApiResponse<M>> {
  const r = await call(method, request);
  if (!r.ok) assert.fail(`${method} failed: ${r.error.message}`);
  return r.result as ApiResponse<M>;
}
async function failure(method: string, request: unknown): Promise<string> {
  const r = await call(method, request);
  assert.equal(r.ok, false, `${method} should fail`);
  return r.ok ? '' : r.error.message;
}

test('a real agent on 127.0.0.1: wrong code, pair, deploy twice with progress, roll back, unreachable, impersonation, unpair', async () => {
  const address = `127.0.0.1:${agent.port}`;
  const id = `pi://${address}`;
  const wrong = agent.code() === '000000' ? '111111' : '000000';
  assert.match(await failure('devices.pairPi', { address, code: wrong }), /refused the pairing code: it is wrong or expired/);

  const paired = await ok('devices.pairPi', { address, code: agent.code()! });
  assert.equal(paired.id, id);
  assert.equal(paired.fingerprint, agent.fingerprint256, 'the fingerprint shown is the one the agent printed');

  let pi = (await ok('devices.list', {})).devices.find((d) => d.id === id);
  assert.equal(pi?.kind, 'pi');
  assert.equal(pi?.state, 'connected');
  assert.equal(pi?.fingerprint, agent.fingerprint256);

  progress.length = 0;
  const first = await ok('devices.deploy', { deviceId: id, modelId: 'coswara-gender-audio' });
  assert.equal(first.maxDiffLsb, 0);
  assert.match(first.summary, /equals this computer's, value for value/);
  assert.deepEqual([...new Set(progress.map((p) => p.stage))], ['sign', 'upload', 'verify', 'done']);
  assert.equal(progress.at(-1)!.fraction, 1);
  console.log(`Pi deploy of coswara-gender-audio: ${first.seconds.toFixed(2)} s, ${progress.length} progress events`);

  await ok('devices.deploy', { deviceId: id, modelId: 'pose-depth-thermal' });
  pi = (await ok('devices.list', {})).devices.find((d) => d.id === id);
  assert.equal(pi?.model, POSE);
  assert.equal(pi?.previousModel, AUDIO);
  assert.equal((await ok('devices.rollback', { deviceId: id })).model, AUDIO);

  const port = agent.port;
  await agent.stop();
  pi = (await ok('devices.list', {})).devices.find((d) => d.id === id);
  assert.equal(pi?.state, 'disconnected');
  assert.match(pi?.problem ?? '', /Cannot reach the Pi/);
  assert.match(await failure('devices.deploy', { deviceId: id, modelId: 'coswara-gender-audio' }), /Cannot reach the Pi at pi:\/\/127\.0\.0\.1:\d+ .*tinym2-agent is running/);

  // Another agent (a new certificate) answering on the paired address: nothing is sent to it.
  impostor = await startAgentProcess(join(root, 'impostor'), port);
  const message = await failure('devices.deploy', { deviceId: id, modelId: 'coswara-gender-audio' });
  assert.match(message, /different certificate.*another device pretending to be the Pi.*Pair again only if you trust the device/);
  assert.equal((await ok('devices.list', {})).devices.find((d) => d.id === id)?.state, 'error');

  assert.deepEqual(await ok('devices.unpairPi', { deviceId: id }), { removed: true });
  assert.equal((await ok('devices.list', {})).devices.some((d) => d.id === id), false);
});

test('an older version is refused with the allowDowngrade field named, and installed when the person chooses it', async () => {
  // A models folder of its own whose one package changes version between deploys, as after an update and a change of mind.
  const models = join(root, 'older-models');
  const pkg = join(models, 'coswara-gender-audio');
  cpSync(join(resourcesDir, 'models', 'coswara-gender-audio'), pkg, { recursive: true });
  const setVersion = (v: string) => {
    const meta = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8')) as { version: string };
    writeFileSync(join(pkg, 'model.json'), JSON.stringify({ ...meta, version: v }, null, 2));
  };
  const own = createServices({ paths: { dataDir: join(root, 'studio-older'), resourcesDir, bundledModelsDir: models, userModelsDir: join(root, 'studio-older', 'models') }, transport: 'bridge', events, version: 'test' });
  const piAgent = await startAgentProcess(join(root, 'agent-older'));
  try {
    const address = `127.0.0.1:${piAgent.port}`;
    const deviceId = `pi://${address}`;
    const ownCall = (method: string, request: unknown) => dispatch(own, method, request);
    assert.equal((await ownCall('devices.pairPi', { address, code: piAgent.code()! })).ok, true);
    setVersion('9.0.0');
    const newer = await ownCall('devices.deploy', { deviceId, modelId: 'coswara-gender-audio' });
    assert.equal(newer.ok, true, newer.ok ? '' : newer.error.message);

    setVersion('8.0.0');
    const refused = await ownCall('devices.deploy', { deviceId, modelId: 'coswara-gender-audio' });
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.equal(refused.error.field, 'allowDowngrade', 'the page offers "Install older version" on this field');
    assert.match(refused.error.message, /coswara-gender-audio 8\.0\.0 is older than coswara-gender-audio 9\.0\.0.*Install older version/);
    // The page's own words replace the CLI's: no command-line flag, no manifest field.
    assert.match(refused.error.message, /which runs here; nothing changed\. To go back one model, use Roll back; to install this older version anyway, choose "Install older version"\.$/);
    assert.doesNotMatch(refused.error.message, /--allow-downgrade|tinym2 |allowDowngrade/);
    const running = async () => ((await ownCall('devices.list', {})) as { ok: true; result: ApiResponse<'devices.list'> }).result.devices.find((d) => d.id === deviceId)?.model;
    assert.equal(await running(), 'coswara-gender-audio 9.0.0', 'nothing changed on the Pi');

    const chosen = await ownCall('devices.deploy', { deviceId, modelId: 'coswara-gender-audio', allowDowngrade: true });
    assert.equal(chosen.ok, true, chosen.ok ? '' : chosen.error.message);
    assert.equal(await running(), 'coswara-gender-audio 8.0.0');
  } finally {
    await piAgent.stop();
  }
});
