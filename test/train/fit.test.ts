import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildArchitecture } from '../../src-main/model/architecture';
import { tinyM2Net } from '../../src-main/model/tinyM2Net';
import { fit, predictLogits, scheduledLearningRate } from '../../src-main/train/fit';
import { trainableModel } from '../../src-main/train/engine';
import { argmaxRows, balancedAccuracy, balancedClassWeights, confusionMatrix, crossEntropy, distillationLoss } from '../../src-main/train/metrics';
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

test('minimum epochs and a smoothed validation loss decide what early stopping keeps', async () => {
  const base = { seed: 1, epochs: 10, batchSize: 16, learningRate: 1e-2, patience: 2 };
  const late = await fit(arch, train, val, { ...base, minEpochs: 9 });
  assert.equal(late.history.length, 10, 'no stop before the minimum');
  assert.equal(late.bestEpoch, 9, 'only epochs from the minimum on can be kept: here the last');
  const smoothing = 0.6;
  const smoothed = await fit(arch, train, val, { ...base, patience: 10, valLossSmoothing: smoothing });
  let ema = smoothed.history[0]!.valLoss;
  const signal = smoothed.history.map((h, i) => (ema = i === 0 ? ema : smoothing * ema + (1 - smoothing) * h.valLoss));
  assert.equal(smoothed.bestEpoch, signal.indexOf(Math.min(...signal)), 'the kept epoch minimises the smoothed loss');
  await assert.rejects(fit(arch, train, val, { ...base, valLossSmoothing: 1 }), /valLossSmoothing must be in \[0, 1\)/);
});

test("keep 'last' runs every epoch and returns the final weights, also when stopped", async () => {
  const base = { seed: 1, epochs: 6, batchSize: 16, learningRate: 1e-2, patience: 1, keep: 'last' as const };
  const run = await fit(arch, train, val, base);
  assert.equal(run.history.length, 6, 'patience does not stop it');
  assert.equal(run.bestEpoch, 5);
  const model = trainableModel(arch, run.weights, { learningRate: 0 });
  const loss = crossEntropy(predictLogits(model, val), val.labels, 2);
  model.dispose();
  assert.ok(Math.abs(loss - run.history.at(-1)!.valLoss) < 1e-5, `returned weights score ${loss}, the last epoch ${run.history.at(-1)!.valLoss}`);
  let calls = 0;
  const perEpoch = Math.ceil(train.count / 16);
  const stopped = await fit(arch, train, val, { ...base, shouldStop: () => ++calls > perEpoch * 2 + 1 });
  assert.equal(stopped.bestEpoch, 1, 'a stopped run keeps its latest completed epoch');
});

test('the distillation loss: cross-entropy at alpha 1, zero against itself, T²-scaled KL otherwise', () => {
  const student = [2, 0, -1, 1];
  const teacher = [0, 1, 0.5, 0.5];
  const labels = [0, 1];
  assert.equal(distillationLoss(student, teacher, labels, 2, { alpha: 1, temperature: 4 }), crossEntropy(student, labels, 2));
  assert.ok(Math.abs(distillationLoss(student, student, labels, 2, { alpha: 0, temperature: 3 })) < 1e-12);
  // By hand for T = 2: row 0 teacher softmax(0, 0.5), student softmax(1, 0); row 1 teacher uniform, student softmax(-0.5, 0.5).
  const kl = (p: number[], q: number[]) => p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
  const sm = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
  const soft = ((kl(sm(0, 0.5), sm(1, 0)) + kl(sm(0.25, 0.25), sm(-0.5, 0.5))) / 2) * 4;
  const expected = 0.25 * crossEntropy(student, labels, 2) + 0.75 * soft;
  assert.ok(Math.abs(distillationLoss(student, teacher, labels, 2, { alpha: 0.25, temperature: 2 }) - expected) < 1e-12);
});

test('a distilled student is kept by its validation distillation loss, not by labels alone', async () => {
  const teacherRun = await fit(arch, train, val, { seed: 3, epochs: 4, batchSize: 16, learningRate: 1e-2, patience: 4 });
  const teacher = trainableModel(arch, teacherRun.weights, { learningRate: 0 });
  const distillation = { teacherLogits: (x: Parameters<typeof teacher.logits>[0]) => teacher.logits(x), alpha: 0.3, temperature: 4 };
  const run = await fit(arch, train, val, { seed: 4, epochs: 5, batchSize: 16, learningRate: 1e-2, patience: 5, distillation });
  const student = trainableModel(arch, run.weights, { learningRate: 0 });
  const logits = predictLogits(student, val);
  const expected = distillationLoss(logits, predictLogits(teacher, val), val.labels, 2, { alpha: 0.3, temperature: 4 });
  student.dispose();
  teacher.dispose();
  const kept = run.history[run.bestEpoch]!.valLoss;
  assert.ok(Math.abs(kept - expected) < 1e-5, `kept epoch's validation loss ${kept}, its distillation loss ${expected}`);
  assert.ok(Math.abs(kept - crossEntropy(logits, val.labels, 2)) > 1e-3, 'not the plain cross-entropy');
  assert.equal(run.bestEpoch, run.history.map((h) => h.valLoss).indexOf(Math.min(...run.history.map((h) => h.valLoss))));
});

test('learning-rate schedules: linear warmup, then constant or a half cosine to zero', async () => {
  const o = { learningRate: 0.01, epochs: 10, warmupEpochs: 2 };
  assert.ok(scheduledLearningRate(o, 0) < 1e-4 && Math.abs(scheduledLearningRate(o, 1) - 0.005) < 1e-5, 'warmup ramps from 0');
  assert.equal(scheduledLearningRate(o, 5), 0.01, 'constant after warmup by default');
  const cosine = { ...o, learningRateSchedule: 'cosine' as const };
  assert.ok(Math.abs(scheduledLearningRate(cosine, 2) - 0.01) < 1e-12);
  assert.ok(Math.abs(scheduledLearningRate(cosine, 6) - 0.005) < 1e-12, 'half way down the cosine at the middle');
  assert.ok(scheduledLearningRate(cosine, 10) < 1e-12);
  assert.equal(scheduledLearningRate({ learningRate: 0.01, epochs: 10 }, 3), 0.01, 'no schedule: the fixed rate');
  // A scheduled run still learns, and is as reproducible as a fixed-rate one.
  const options = { seed: 7, epochs: 8, batchSize: 16, learningRate: 2e-2, patience: 20, learningRateSchedule: 'cosine' as const, warmupEpochs: 1 };
  const a = await fit(arch, train, val, options);
  const b = await fit(arch, train, val, options);
  assert.deepEqual(a.history.map((h) => h.trainLoss), b.history.map((h) => h.trainLoss));
  assert.ok(a.history.at(-1)!.trainLoss < a.history[0]!.trainLoss, 'training loss falls');
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
