import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import type { EventBus } from '../../src-main/api/eventBus';
import { coswaraSkip } from '../audio/coswaraFixture';
import { writeCoswaraManifest } from './retrainManifest';
import { testServices, type TestServices } from './testServices';

let dir: string;
let services: ServiceHandlers;
let events: EventBus;
let call: TestServices['call'];
let runToEnd: TestServices['runToEnd'];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-run-'));
  ({ services, events, call, runToEnd } = testServices(dir));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a whole retrain on 20 real participants: curves, Pareto points, a comparison on the same held-out people, reject keeps it out, accept installs it', { skip: coswaraSkip, timeout: 180_000 }, async () => {
  const progress: { stage: string; fraction: number }[] = [];
  events.subscribe((e, p) => e === 'retrain.progress' && progress.push(p as { stage: string; fraction: number }));
  await call('retrain.import', { source: writeCoswaraManifest(mkdtempSync(join(dir, 'm-')), 10), name: 'clinic' });
  const options = { epochs: 2, qatEpochs: 0, teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }, students: [{ widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 }, { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }] };
  const first = await call('retrain.start', { datasetName: 'clinic', labelColumn: 'label', target: 'gap8:l2', options });
  const done = await runToEnd(first.runId);
  assert.equal(done.status, 'ready', done.error);
  assert.equal(done.curves.teacher?.length, 2, 'two teacher epochs drawn');
  for (const e of done.curves.teacher!) assert.ok(Number.isFinite(e.trainLoss) && Number.isFinite(e.valLoss) && e.valBalancedAccuracy >= 0 && e.valBalancedAccuracy <= 1);
  assert.equal(done.pareto.length, 2);
  assert.equal(done.pareto.filter((p) => p.chosen).length, 1);
  assert.ok(progress.some((p) => p.stage === 'teacher') && progress.some((p) => p.stage === 'search'), 'progress events for teacher and search');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.fraction >= progress[i - 1]!.fraction - 1e-9, 'fraction never goes back');
  const { candidate, current } = done.comparison!;
  assert.equal(done.heldOut.length, 4);
  assert.equal(candidate.participants, 4, 'the candidate is measured on every held-out participant');
  assert.equal(current.participants, 4, 'the current model on the same ones');
  assert.equal(current.modelId, 'coswara-gender-audio');
  for (const ev of [candidate, current]) {
    assert.equal(ev.confusion.flat().reduce((a, b) => a + b, 0), 4);
    assert.ok(ev.weightBytes > 0 && ev.onnxBytes > 0 && ev.meanLatencyMs > 0);
  }
  assert.ok(candidate.weightBytes <= 512 * 1024);

  // Rejected: in the history, never where Screen and Devices look.
  assert.deepEqual(await call('retrain.decide', { runId: first.runId, decision: 'reject' }), { status: 'rejected' });
  assert.ok(!(await call('models.list', {})).models.some((m) => m.source === 'user'));
  const again = await dispatch(services, 'retrain.decide', { runId: first.runId, decision: 'accept' });
  assert.ok(!again.ok, 'a rejected model cannot be accepted later');

  const second = await call('retrain.start', { datasetName: 'clinic', labelColumn: 'label', target: 'gap8:l2', options: { ...options, seed: 2 } });
  assert.equal((await runToEnd(second.runId)).status, 'ready');
  const accepted = await call('retrain.decide', { runId: second.runId, decision: 'accept' });
  assert.equal(accepted.status, 'accepted');
  assert.ok(existsSync(join(accepted.dir!, 'model.int8.onnx')));
  const listed = (await call('models.list', {})).models.find((m) => m.id === accepted.modelId)!;
  assert.equal(listed.source, 'user');
  assert.deepEqual(listed.task.labels, ['female', 'male']);
  // With qatEpochs 0 the package says int8 came from post-training calibration, with its validation score.
  assert.equal(listed.quantization?.method, 'post-training');
  assert.ok(listed.quantization!.postTrainingValBalancedAccuracy >= 0 && listed.quantization!.postTrainingValBalancedAccuracy <= 1);
  const history = await call('retrain.history', {});
  assert.deepEqual(history.models.map((m) => m.status).sort(), ['current', 'rejected']);
  assert.deepEqual(history.runs.map((r) => r.status).sort(), ['accepted', 'rejected']);
});
