import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkpointedFit } from '../../src-main/jobs/checkpointedFit';
import { readSamplesFile } from '../../src-main/jobs/samplesFile';
import { readTrainingCheckpoint } from '../../src-main/jobs/trainingCheckpoint';
import { buildArchitecture } from '../../src-main/model/architecture';
import { tinyM2Net } from '../../src-main/model/tinyM2Net';
import { toySplit, writeToySamples } from './toyJob';

const dir = mkdtempSync(join(tmpdir(), 'tinym2-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const samplesFile = writeToySamples(dir);
const data = readSamplesFile(samplesFile);
const arch = buildArchitecture(tinyM2Net({ name: 'toy', modalities: data.modalities, classes: 2, widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }));
const base = { seed: 11, batchSize: 16, learningRate: 1e-2, patience: 20, classWeights: 'balanced' as const };

test('a samples file round-trips exactly and a damaged one is named with its bad field', () => {
  assert.deepEqual(data, toySplit());
  assert.equal(data.train.count, 120);
  const bad = join(dir, 'bad-samples.json');
  writeFileSync(bad, JSON.stringify({ format: 'tinym2-samples', version: 1, modalities: [], classes: 1 }));
  assert.throws(() => readSamplesFile(bad), /bad-samples\.json: field 'classes'/);
});

test('training stopped after 3 epochs and resumed to 5 equals 5 epochs in one go', async () => {
  const file = join(dir, 'a.json');
  const first = await checkpointedFit(arch, data.train, data.val, { ...base, epochs: 3, checkpointFile: file, resume: false });
  assert.equal(first.epochsRun, 3);
  assert.equal(readTrainingCheckpoint(file).epochsDone, 3);
  const resumed = await checkpointedFit(arch, data.train, data.val, { ...base, epochs: 5, checkpointFile: file, resume: true });
  assert.deepEqual([resumed.resumedFromEpoch, resumed.epochsRun, resumed.history.length], [3, 2, 5]);
  const whole = await checkpointedFit(arch, data.train, data.val, { ...base, epochs: 5, checkpointFile: join(dir, 'b.json'), resume: false });
  assert.deepEqual(resumed.history.map((h) => h.valLoss), whole.history.map((h) => h.valLoss));
  assert.deepEqual(resumed.weights, whole.weights);
  assert.equal(resumed.bestEpoch, whole.bestEpoch);
});

test('a stop request mid-epoch discards the half epoch and keeps the last whole one on disk', async () => {
  const file = join(dir, 'c.json');
  let batches = 0;
  // 120 training samples in batches of 16 = 8 batches per epoch: stop inside the third epoch.
  const r = await checkpointedFit(arch, data.train, data.val, { ...base, epochs: 50, checkpointFile: file, resume: false, shouldStop: () => ++batches > 20 });
  assert.equal(r.cancelled, true);
  assert.equal(r.epochsRun, 2);
  assert.equal(readTrainingCheckpoint(file).epochsDone, 2);
  writeFileSync(file, '{"format":"tinym2-training-checkpoint","version":1}');
  await assert.rejects(checkpointedFit(arch, data.train, data.val, { ...base, epochs: 5, checkpointFile: file, resume: true }), /c\.json: field 'epochsDone'/);
});
