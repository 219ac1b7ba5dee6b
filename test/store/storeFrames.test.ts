import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import { poseSampleSet } from '../../src-main/frames/poseSamples';
import { POSE_CLASSES } from '../../src-main/posegen/poseClass';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { sha256Hex } from '../../src-main/store/blobStore';
import { saveDataset } from '../../src-main/store/datasets';
import { importFrames } from '../../src-main/store/importFrames';
import { openStore, type Store } from '../../src-main/store/store';
import { defaultFrameLabels, framePairsFromStore, frameSampleSet, splitFrameSubjects } from '../../src-main/store/storeFrames';
import { POSE_FEATURES, POSE_LABELS } from '../../src-main/train/poseRecipe';

let root = '';
let setDir = '';
let store: Store;
let subjects: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tinym2-store-frames-'));
  setDir = join(root, 'set');
  const summary = await generatePoseSet({ out: setDir, n: 60, seed: 41, subjects: 5, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 });
  subjects = [...summary.subjects].sort();
  store = openStore({ dataDir: join(root, 'store') });
  const report = await importFrames(store, setDir);
  assert.equal(report.stored.length, 60);
});
after(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

test('a named data set gives its participants’ frame pairs with blob paths, labels and encoding, and the hashes it uses', () => {
  const chosen = subjects.slice(0, 4);
  saveDataset(store, 'ward-frames', chosen);
  const set = framePairsFromStore(store, 'ward-frames');
  assert.equal(set.labelColumn, 'pose');
  assert.equal(set.pairs.length, 48, 'four of five participants, 12 frames each');
  assert.deepEqual([...new Set(set.pairs.map((p) => p.subject))], chosen);
  const keys = set.pairs.map((p) => `${p.subject}/${p.frameKey}`);
  assert.deepEqual(keys, [...keys].sort(), 'sorted by subject, then frame');
  const manifest = JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')) as { samples: { frame: string; label: string; subject: string }[] };
  const truth = new Map(manifest.samples.map((s) => [`${s.subject}/${s.frame}`, s.label]));
  for (const p of set.pairs) {
    assert.equal(p.label, truth.get(`${p.subject}/${p.frameKey}`));
    assert.ok(existsSync(p.depthPath) && existsSync(p.thermalPath));
    assert.equal(sha256Hex(readFileSync(p.depthPath)), p.depthSha256);
    assert.deepEqual(readFileSync(p.thermalPath), readFileSync(p.sourceThermalPath));
    assert.equal(p.thermalEncoding.kind, 'png16');
  }
  assert.equal(set.hashes.length, 96);
  assert.deepEqual(set.hashes, [...new Set(set.pairs.flatMap((p) => [p.depthSha256, p.thermalSha256]))].sort());
  assert.deepEqual(defaultFrameLabels(set.pairs), [...POSE_CLASSES]);
  assert.deepEqual(framePairsFromStore(store, 'ward-frames', 'triage').pairs, [], 'no frames labelled in another column');
  assert.throws(() => framePairsFromStore(store, 'no-such-set'), /no data set named 'no-such-set'/);
});

test('stored pairs become the same samples as loading the folder directly: model-sized, labelled in class order, grouped by subject', async () => {
  saveDataset(store, 'all-frames', subjects);
  const { pairs } = framePairsFromStore(store, 'all-frames');
  let calls = 0;
  const set = await frameSampleSet(pairs, { ...POSE_FEATURES, labels: POSE_LABELS }, () => calls++);
  assert.equal(calls, 60);
  assert.equal(set.count, 60);
  assert.deepEqual(set.sampleSizes, [40 * 30, 32 * 24]);
  assert.deepEqual(set.groups, pairs.map((p) => p.subject));
  assert.deepEqual([...set.labels], pairs.map((p) => POSE_LABELS.indexOf(p.label)));
  assert.deepEqual(POSE_LABELS.map((_, c) => set.labels.filter((l) => l === c).length), [10, 10, 10, 10, 10, 10]);
  // The reference: the Pose page's own loader on the original files, put in the same order.
  const direct = (await importLabelledSet(setDir, { depthSize: POSE_FEATURES.depth, thermalSize: POSE_FEATURES.thermal })).samples;
  const order = new Map(pairs.map((p, i) => [`${p.subject}/${p.frameKey}`, i]));
  direct.sort((a, b) => order.get(`${a.subject}/${a.frame}`)! - order.get(`${b.subject}/${b.frame}`)!);
  const reference = poseSampleSet(direct, { ...POSE_FEATURES, labels: POSE_LABELS });
  assert.deepEqual(set.modalities, reference.modalities, 'identical features, value for value');
  await assert.rejects(frameSampleSet(pairs, { ...POSE_FEATURES, labels: ['lying', 'fallen'] }), /is not one of the model's classes/);
});

test('participants are split into disjoint train, validation and test parts, reproducibly', () => {
  const people = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const split = splitFrameSubjects([...people, ...people]);
  assert.deepEqual([...split.train, ...split.val, ...split.test].sort(), people);
  assert.equal(new Set([...split.train, ...split.val, ...split.test]).size, 12);
  assert.ok(split.test.length >= 2 && split.val.length >= 2);
  assert.deepEqual(splitFrameSubjects(people), split, 'same seed, same split');
  assert.notDeepEqual(splitFrameSubjects(people, { seed: 7 }), split);
  const three = splitFrameSubjects(people, { valSubjects: 3 });
  assert.equal(three.val.length, 3);
  assert.deepEqual(three.test, split.test);
  assert.throws(() => splitFrameSubjects(people, { valSubjects: 0 }), /valSubjects must be from 1 to/);
  assert.throws(() => splitFrameSubjects(['a', 'b', 'a']), /at least 3 participants/);
});
