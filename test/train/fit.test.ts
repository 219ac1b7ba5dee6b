import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildArchitecture } from '../../src-main/model/architecture';
import { tinyM2Net } from '../../src-main/model/tinyM2Net';
import { fit, predictLogits } from '../../src-main/train/fit';
import { trainableModel } from '../../src-main/train/engine';
import { argmaxRows, balancedAccuracy, balancedClassWeights, confusionMatrix } from '../../src-main/train/metrics';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { augmentSample, logMelAugmenter } from '../../src-main/train/augment';
import { seededRandom } from '../../src-main/train/random';
import { toyTask } from '../fixtures/toyTask';

const modalities = [
  { name: 'a', input: [12, 8, 1] as const },
  { name: 'b', input: [8, 8, 1] as const },
];
const arch = buildArchitecture(tinyM2Net({ name: 'toy', modalities, classes: 2, widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }));
const data = toyTask(160, 1);
const valGroups = new Set(Array.from({ length: 8 }, (_, i) => `p${i}`));
const train = subset(data, indicesOfGroups(data, valGroups, false));
const val = subset(data, indicesOfGroups(data, valGroups, true));

test('training learns a learnable task, keeps the best epoch and is reproducible from its seed', async () => {
  const options = { seed: 7, epochs: 12, batchSize: 16, learningRate: 1e-2, patience: 20, classWeights: 'balanced' as const };
  const epochs: number[] = [];
  const a = await fit(arch, train, val, { ...options, onEpoch: (e) => epochs.push(e.valLoss) });
  assert.equal(a.history.length, 12);
  assert.equal(a.bestEpoch, epochs.indexOf(Math.min(...epochs)), 'the weights returned are the best validation epoch');
  const model = trainableModel(arch, a.weights, { learningRate: 0 });
  const bacc = balancedAccuracy(confusionMatrix(val.labels, argmaxRows(predictLogits(model, val), 2), 2));
  model.dispose();
  assert.ok(bacc >= 0.9, `validation balanced accuracy ${bacc}`);
  assert.ok(a.history.at(-1)!.trainLoss < a.history[0]!.trainLoss, 'training loss falls');
  const b = await fit(arch, train, val, options);
  assert.deepEqual(b.history.map((h) => h.trainLoss), a.history.map((h) => h.trainLoss), 'same seed, same run');
});

test('early stopping ends a run that stops improving, and a stop request keeps the best weights', async () => {
  const stopped = await fit(arch, train, val, { seed: 1, epochs: 200, batchSize: 16, learningRate: 1e-2, patience: 3 });
  assert.ok(stopped.stoppedEarly && stopped.history.length < 200, `ran ${stopped.history.length} epochs`);
  assert.equal(stopped.history.length - 1 - stopped.bestEpoch, 3, 'stops after `patience` epochs without a better validation loss');
  let calls = 0;
  const cancelled = await fit(arch, train, val, { seed: 1, epochs: 50, batchSize: 16, learningRate: 1e-2, patience: 50, shouldStop: () => ++calls > 25 });
  assert.ok(cancelled.stoppedEarly && cancelled.history.length < 5);
});

test('balanced class weights undo a 3:1 imbalance', () => {
  const w = balancedClassWeights(Int32Array.from([0, 0, 0, 1]), 2);
  assert.deepEqual(w, [4 / 6, 2]);
  assert.equal(w[0]! * 3 + w[1]! * 1, 4, 'the weighted count equals the sample count');
});

test('log-mel augmentation shifts, scales and masks but keeps silence silent and is seeded', () => {
  const floor = Math.log(1e-6);
  const frames = 20;
  const bands = 8;
  const make = () => {
    const x = new Float32Array(frames * bands).fill(floor);
    for (let f = 5; f < 15; f++) for (let b = 0; b < bands; b++) x[f * bands + b] = -2 + b * 0.1;
    return x;
  };
  const aug = logMelAugmenter({ floor, noiseProbability: 0 });
  const a = make();
  const b = make();
  aug(a, [frames, bands, 1], seededRandom(3));
  aug(b, [frames, bands, 1], seededRandom(3));
  assert.deepEqual(a, b, 'same seed, same augmentation');
  assert.notDeepEqual(a, make(), 'it changes the sample');
  assert.ok(a.every((v) => v >= floor - 1e-6), 'nothing drops below silence');
  // Dropping a modality fills it with its silence value.
  const batch = [make(), Float32Array.from({ length: 16 }, () => 1)];
  augmentSample({ perModality: [undefined, undefined], dropModality: 1, fill: [floor, -5] }, batch, [[frames, bands, 1], [4, 4, 1]], 0, seededRandom(1));
  assert.ok(batch[0]!.every((v) => v === Math.fround(floor)) || batch[1]!.every((v) => v === -5), 'one modality was dropped');
});
