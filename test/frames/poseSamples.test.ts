import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ABSENT_FRAME_VALUE, depthFeatures, thermalFeatures } from '../../src-main/frames/frameFeatures';
import { importLabelledSet, type PoseSample } from '../../src-main/frames/labelledSet';
import { loadPoseSampleSet, poseSampleSet } from '../../src-main/frames/poseSamples';
import { resizeDepth } from '../../src-main/frames/resize';
import { frameModalityInput } from '../../src-main/infer/frameInput';
import type { FrameFeatureParams, ModalitySpec } from '../../src-main/models/packageMeta';
import { POSE_CLASSES } from '../../src-main/posegen/poseClass';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { POSE_FEATURES, POSE_LABELS } from '../../src-main/train/poseRecipe';
import { posePipelineData } from '../../src-main/train/poseTrainingData';

const depth: FrameFeatureParams = POSE_FEATURES.depth;
const thermal: FrameFeatureParams = POSE_FEATURES.thermal;
let root = '';
let setDir = '';
let otherDir = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tinym2-pose-samples-'));
  setDir = join(root, 'train');
  otherDir = join(root, 'test');
  // 80×60 depth is resized to the model's 40×30 on import; thermal is already 32×24.
  const sizes = { depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 } as const;
  await generatePoseSet({ out: setDir, n: 60, seed: 11, subjects: 5, ...sizes });
  await generatePoseSet({ out: otherDir, n: 12, seed: 12, subjectSeed: 912, subjects: 2, ...sizes });
});
after(() => rm(root, { recursive: true, force: true }));

test('a generated pose set becomes two modalities of the model input size, labelled in class order and grouped by subject', async () => {
  const { set, report } = await loadPoseSampleSet(setDir, { ...POSE_FEATURES, labels: POSE_LABELS });
  assert.equal(report.problems.length, 0);
  assert.equal(set.count, 60);
  assert.deepEqual(set.sampleSizes, [40 * 30, 32 * 24]);
  assert.equal(set.modalities[0]!.length, 60 * 1200);
  assert.equal(set.modalities[1]!.length, 60 * 768);
  for (const m of set.modalities) for (const v of m) assert.ok(v >= 0 && v <= 1, `feature ${v} outside 0…1`);
  // Every class is present, 10 each, and labels follow POSE_LABELS' order.
  const counts = POSE_CLASSES.map((_, c) => set.labels.filter((l) => l === c).length);
  assert.deepEqual(counts, [10, 10, 10, 10, 10, 10]);
  const { samples } = await importLabelledSet(setDir);
  const bySubject = new Map(samples.map((s) => [s.frame, s.subject]));
  assert.deepEqual(new Set(set.groups), new Set(samples.map((s) => s.subject)));
  assert.equal(new Set(set.groups).size, 5);
  // Samples come out in import order, so sample n's group is its frame's subject.
  const imported = (await importLabelledSet(setDir, { depthSize: depth, thermalSize: thermal })).samples;
  imported.forEach((s, n) => {
    assert.equal(set.groups[n], bySubject.get(s.frame));
    assert.equal(set.labels[n], POSE_LABELS.indexOf(s.label));
  });
});

test('normalisation is the fixed physical range, area-averaged to the input size, missing depth kept as "no reading"', async () => {
  const raw = (await importLabelledSet(setDir)).samples;
  const { set } = await loadPoseSampleSet(setDir, { ...POSE_FEATURES, labels: POSE_LABELS });
  const s0 = raw[0]!;
  assert.equal(s0.depth.width, 80);
  const small = resizeDepth(s0.depth, 40, 30);
  const d = set.modalities[0]!.subarray(0, 1200);
  let missing = 0;
  for (let i = 0; i < 1200; i++) {
    const mm = small.mm[i]!;
    if (mm === 0) missing++;
    assert.ok(Math.abs(d[i]! - (mm === 0 ? ABSENT_FRAME_VALUE : Math.min(1, mm / 6000))) < 1e-6);
  }
  const t = set.modalities[1]!.subarray(0, 768);
  for (let i = 0; i < 768; i++) assert.ok(Math.abs(t[i]! - Math.min(1, Math.max(0, (s0.thermal.celsius[i]! - 10) / 30))) < 1e-6);
  console.log(`sample 0: ${missing} of 1200 depth pixels without a reading`);

  // Hand-made frames pin the edges: 0 mm is missing, beyond the range clips, °C below the range clips to 0.
  const frame = { width: 4, height: 3, mm: Uint16Array.from([0, 1500, 3000, 6000, 9000, 0, 0, 0, 0, 0, 0, 600]) };
  assert.deepEqual([...depthFeatures(frame, { ...depth, width: 4, height: 3 })].map((v) => +v.toFixed(4)), [0, 0.25, 0.5, 1, 1, 0, 0, 0, 0, 0, 0, 0.1]);
  const warm = { width: 2, height: 1, celsius: Float32Array.from([-5, 25]) };
  assert.deepEqual([...thermalFeatures(warm, { ...thermal, width: 2, height: 1 })], [0, 0.5]);
  assert.throws(() => depthFeatures({ width: 50, height: 30, mm: new Uint16Array(1500) }, depth, 'wide.png'), /wide\.png: 50×30 .*cannot be resized to 40×30/);
  assert.throws(() => thermalFeatures(warm, depth), /thermal features must be in celsius/);
});

test('bad labels name the file; splits keep each subject on one side and refuse a test set that shares subjects', async () => {
  const { samples } = await importLabelledSet(setDir, { depthSize: depth, thermalSize: thermal });
  const bad: PoseSample[] = [{ ...samples[3]!, label: 'dancing' }];
  assert.throws(() => poseSampleSet(bad, { ...POSE_FEATURES, labels: POSE_LABELS }), (e: Error) => e.message.includes(samples[3]!.depthFile) && /'dancing' is not one of the model's classes/.test(e.message));

  const { set } = await loadPoseSampleSet(setDir, { ...POSE_FEATURES, labels: POSE_LABELS });
  const { set: other } = await loadPoseSampleSet(otherDir, { ...POSE_FEATURES, labels: POSE_LABELS });
  const data = posePipelineData(set, other, 2);
  const train = new Set(data.train.groups);
  const val = new Set(data.val.groups);
  assert.equal(val.size, 2);
  assert.equal(train.size, 3);
  for (const g of val) assert.ok(!train.has(g), `subject ${g} on both sides`);
  assert.equal(data.train.count + data.val.count, 60);
  assert.deepEqual(data.modalities, [
    { name: 'depth', input: [30, 40, 1] },
    { name: 'thermal', input: [24, 32, 1] },
  ]);
  assert.throws(() => posePipelineData(set, set, 2), /shares subjects with the training set/);
  assert.throws(() => posePipelineData(set, other, 5), /valSubjects must be from 1 to 4/);
});

test('frame files become the same model input at inference as in training; an unusable file is an absent modality naming it', async () => {
  const { samples } = await importLabelledSet(setDir);
  const { set } = await loadPoseSampleSet(setDir, { ...POSE_FEATURES, labels: POSE_LABELS });
  const spec = (name: 'depth' | 'thermal', features: FrameFeatureParams): ModalitySpec => ({ name, kind: name, inputShape: [features.height, features.width, 1], features });
  const n = 7;
  const d = await frameModalityInput(spec('depth', depth), samples[n]!.depthFile);
  const t = await frameModalityInput(spec('thermal', thermal), samples[n]!.thermalFile);
  assert.deepEqual(d.features, set.modalities[0]!.slice(n * 1200, (n + 1) * 1200));
  assert.deepEqual(t.features, set.modalities[1]!.slice(n * 768, (n + 1) * 768));
  assert.equal(d.fill, ABSENT_FRAME_VALUE);

  const gone = join(root, 'nope_depth.png');
  const missing = await frameModalityInput(spec('depth', depth), gone);
  assert.equal(missing.features, undefined);
  assert.match(missing.problem!, /nope_depth\.png: file not found/);
  // A thermal PNG passed as depth is refused by the depth decoder's range check or bit depth, and named.
  const swapped = await frameModalityInput(spec('depth', depth), samples[n]!.thermalFile);
  assert.equal(swapped.features, undefined);
  assert.ok(swapped.problem!.includes(samples[n]!.thermalFile));
  assert.deepEqual(await frameModalityInput(spec('thermal', thermal), undefined), { features: undefined, fill: ABSENT_FRAME_VALUE, problem: 'no thermal frame' });
});
