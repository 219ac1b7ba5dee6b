import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { openModelSession } from '../../src-main/infer/modelSession';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { DEFAULT_POSE_DATA } from '../../src-main/train/poseRecipe';
import { testServices, type TestServices } from './testServices';

let dir: string;
let setDir: string;
let truncated: string;
let services: ServiceHandlers;
let call: TestServices['call'];
let runToEnd: TestServices['runToEnd'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-frames-'));
  setDir = join(dir, 'clinic-frames');
  // A clinic's own recording session, written in the files a real depth + thermal rig produces.
  await generatePoseSet({ out: setDir, n: 144, seed: 77, subjects: 8, depthSize: DEFAULT_POSE_DATA.depthSize, thermalSize: DEFAULT_POSE_DATA.thermalSize, sheetPerClass: 0 });
  const label = readdirSync(setDir).filter((d) => !d.includes('.')).sort()[0]!;
  const subject = readdirSync(join(setDir, label)).sort()[0]!;
  truncated = join(setDir, label, subject, readdirSync(join(setDir, label, subject)).sort().find((f) => f.endsWith('_thermal.png'))!);
  const bytes = readFileSync(truncated);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
  ({ services, call, runToEnd } = testServices(dir));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the wizard retrains the pose model on a folder of depth + thermal frames and compares it with the bundled one on the same held-out people', { timeout: 240_000 }, async () => {
  const report = await call('retrain.import', { source: setDir, name: 'ward-frames' });
  assert.equal(report.layout, 'frames (folders)');
  assert.equal(report.recordings, 144);
  assert.equal(report.stored, 143, 'every pair but the damaged one');
  assert.equal(report.participants, 8);
  assert.deepEqual(report.labelColumns, ['pose']);
  assert.equal(report.failed.length, 1);
  assert.equal(report.failed[0]!.path, truncated);
  assert.equal(report.failed[0]!.modality, 'thermal');
  assert.ok(report.failed[0]!.subject.length > 0, 'the participant of the bad file is named');
  assert.match(report.failed[0]!.message, /_thermal\.png/);

  const review = await call('retrain.review', { datasetName: 'ward-frames', labelColumn: 'pose' });
  assert.equal(review.unit, 'frames');
  assert.equal(review.participants, 8);
  assert.equal(Object.values(review.labelCounts).reduce((a, b) => a + b, 0), 143);
  assert.equal(Object.keys(review.labelCounts).length, 6);
  assert.deepEqual(review.modalities, [{ name: 'depth', recordings: 143 }, { name: 'thermal', recordings: 143 }]);
  assert.equal(review.trainable, true, review.warnings.join('; '));
  const split = review.split!;
  assert.ok(split.heldOut.length >= 1 && split.heldOut.every((s) => !split.train.includes(s)), 'held-out participants are never trained on');
  const heldOutFrames = Object.values(split.heldOutCounts).reduce((a, b) => a + b, 0);
  assert.equal(heldOutFrames + Object.values(split.trainCounts).reduce((a, b) => a + b, 0), 143);
  const wrong = await dispatch(services, 'retrain.review', { datasetName: 'ward-frames', labelColumn: 'label' });
  assert.ok(!wrong.ok && /no label column 'label' \(columns: pose\)/.test(wrong.error.message), !wrong.ok ? wrong.error.message : '');

  const options = { epochs: 2, qatEpochs: 0, teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }, students: [{ widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 8 }] };
  const { runId } = await call('retrain.start', { datasetName: 'ward-frames', labelColumn: 'pose', target: 'gap8:l2', options });
  const done = await runToEnd(runId);
  assert.equal(done.status, 'ready', done.error);
  assert.deepEqual(done.labels, ['standing', 'sitting', 'lying', 'fallen', 'bending', 'hands_raised'], 'the pose model\'s own class order, so the bundled model can be compared');
  assert.equal(done.curves.teacher?.length, 2);
  const { candidate, current } = done.comparison!;
  assert.equal(current.modelId, 'pose-depth-thermal');
  assert.equal(current.notComparable, undefined, current.notComparable);
  for (const ev of [candidate, current]) {
    assert.equal(ev.frames, heldOutFrames, 'both models score every held-out frame');
    assert.equal(ev.participants, split.heldOut.length);
    assert.equal(ev.confusion.flat().reduce((a, b) => a + b, 0), heldOutFrames);
    assert.ok(ev.balancedAccuracy >= 0 && ev.balancedAccuracy <= 1 && ev.meanLatencyMs > 0);
  }
  // The bundled model was trained on thousands of generated frames; it must be well above chance (1/6) here.
  assert.ok(current.balancedAccuracy > 0.4, `bundled pose model on the clinic's frames: ${current.balancedAccuracy}`);

  const accepted = await call('retrain.decide', { runId, decision: 'accept' });
  const listed = (await call('models.list', {})).models.find((m) => m.id === accepted.modelId)!;
  assert.equal(listed.task.kind, 'pose');
  assert.deepEqual(listed.modalities.map((m) => m.kind), ['depth', 'thermal']);
  const session = await openModelSession(accepted.dir!);
  try {
    assert.deepEqual(session.meta.task.labels, done.labels);
  } finally {
    await session.release();
  }
});
