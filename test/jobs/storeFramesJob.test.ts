import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadJobData } from '../../src-main/jobs/jobData';
import { JobRunner } from '../../src-main/jobs/jobRunner';
import type { TrainTeacherResult } from '../../src-main/jobs/jobSpec';
import { readFloatModel } from '../../src-main/model/weightsFile';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { saveDataset } from '../../src-main/store/datasets';
import { importFrames } from '../../src-main/store/importFrames';
import { openStore } from '../../src-main/store/store';
import { framePairsFromStore } from '../../src-main/store/storeFrames';
import { getTrainingRun } from '../../src-main/store/trainingRuns';
import { DEFAULT_POSE_RECIPE, POSE_FEATURES, POSE_LABELS } from '../../src-main/train/poseRecipe';
import type { SampleSet } from '../../src-main/train/sampleSet';

let root = '';
let dataDir = '';
let subjects: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tinym2-frames-job-'));
  dataDir = join(root, 'store');
  const setDir = join(root, 'set');
  const summary = await generatePoseSet({ out: setDir, n: 72, seed: 51, subjects: 6, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 });
  subjects = [...summary.subjects].sort();
  const store = openStore({ dataDir });
  try {
    assert.equal((await importFrames(store, setDir)).stored.length, 72);
    saveDataset(store, 'ward-frames', subjects);
  } finally {
    store.close();
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

const groupsOf = (s: SampleSet) => new Set(s.groups);

test("a 'store-frames' source gives participant-disjoint train, validation and test parts and the blob hashes", async () => {
  let progress = 0;
  const { data, hashes } = await loadJobData({ kind: 'store-frames', name: 'ward-frames', features: POSE_FEATURES }, { dataDir }, () => progress++);
  assert.equal(progress, 72);
  const [train, val, testPart] = [groupsOf(data.train), groupsOf(data.val), groupsOf(data.test)];
  for (const [a, b] of [[train, val], [train, testPart], [val, testPart]] as const) for (const s of a) assert.ok(!b.has(s), `participant ${s} in two parts`);
  assert.deepEqual([...train, ...val, ...testPart].sort(), subjects, 'every participant is used');
  assert.ok(train.size >= 3 && val.size >= 1 && testPart.size >= 1);
  assert.equal(data.train.count + data.val.count + data.test.count, 72);
  assert.equal(data.classes, POSE_LABELS.length);
  assert.deepEqual(data.modalities, [
    { name: 'depth', input: [30, 40, 1] },
    { name: 'thermal', input: [24, 32, 1] },
  ]);
  assert.deepEqual(data.train.sampleSizes, [1200, 768]);
  assert.equal(data.train.modalities[0]!.length, data.train.count * 1200);
  assert.ok(data.augment && data.augment.perModality.length === 2);
  const store = openStore({ dataDir });
  try {
    assert.deepEqual(hashes, framePairsFromStore(store, 'ward-frames').hashes);
  } finally {
    store.close();
  }
  assert.equal(hashes.length, 144);

  const again = await loadJobData({ kind: 'store-frames', name: 'ward-frames', features: POSE_FEATURES }, { dataDir });
  assert.deepEqual(again.data.test.groups, data.test.groups, 'the split is reproducible');
  const other = await loadJobData({ kind: 'store-frames', name: 'ward-frames', features: POSE_FEATURES, splitSeed: 99, valSubjects: 2 }, { dataDir });
  assert.equal(groupsOf(other.data.val).size, 2);
});

test("a 'store-frames' source can pick classes; frames of other classes and their blobs are left out", async () => {
  const { data, hashes } = await loadJobData({ kind: 'store-frames', name: 'ward-frames', labels: ['lying', 'fallen'], features: POSE_FEATURES }, { dataDir });
  assert.equal(data.classes, 2);
  assert.equal(data.train.count + data.val.count + data.test.count, 24);
  for (const part of [data.train, data.val, data.test]) for (const l of part.labels) assert.ok(l === 0 || l === 1);
  assert.equal(hashes.length, 48);
  await assert.rejects(loadJobData({ kind: 'store-frames', name: 'ward-frames', labels: ['dancing'], features: POSE_FEATURES }, { dataDir }), /no frame pairs labelled dancing in column 'pose'/);
  await assert.rejects(loadJobData({ kind: 'store-frames', name: 'missing', features: POSE_FEATURES }, { dataDir }), /no data set named 'missing'/);
});

test('a training job on stored frames runs in the worker and its training run names the frame blobs', { timeout: 120_000 }, async () => {
  const store = openStore({ dataDir });
  const runner = new JobRunner(store);
  try {
    runner.start();
    const output = join(root, 'pose-teacher.json');
    const recipe = { ...DEFAULT_POSE_RECIPE, teacher: { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 8 }, fit: { ...DEFAULT_POSE_RECIPE.fit, epochs: 1 } };
    const id = runner.submit({ kind: 'train-teacher', data: { kind: 'store-frames', name: 'ward-frames', features: POSE_FEATURES }, recipe, output });
    const job = await runner.whenFinished(id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal((job.result as TrainTeacherResult).epochsRun, 1);
    assert.deepEqual(readFloatModel(output).arch.spec.modalities.map((m) => m.name), ['depth', 'thermal']);
    assert.deepEqual(getTrainingRun(store, job.trainingRunId!)!.dataHashes, framePairsFromStore(store, 'ward-frames').hashes);
  } finally {
    await runner.close();
    store.close();
  }
});
