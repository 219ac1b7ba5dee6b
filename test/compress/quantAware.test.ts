import assert from 'node:assert/strict';
import { test } from 'node:test';
import { int8Logits } from '../../src-main/compress/evaluateInt8';
import { foldBatchNorm } from '../../src-main/compress/foldBatchNorm';
import { calibrationRanges, quantAwareFineTune } from '../../src-main/compress/quantAwareTraining';
import { quantizeModel } from '../../src-main/compress/quantize';
import { buildArchitecture } from '../../src-main/model/architecture';
import { tinyM2Net } from '../../src-main/model/tinyM2Net';
import { trainableModel } from '../../src-main/train/engine';
import { fit, predictLogits } from '../../src-main/train/fit';
import { argmaxRows, balancedAccuracy, confusionMatrix } from '../../src-main/train/metrics';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { toyTask } from '../fixtures/toyTask';

const modalities = [
  { name: 'a', input: [12, 8, 1] as const },
  { name: 'b', input: [8, 8, 1] as const },
];
const arch = buildArchitecture(tinyM2Net({ name: 'qat', modalities, classes: 2, widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 }));
const data = toyTask(160, 9);
const valGroups = new Set(Array.from({ length: 8 }, (_, i) => `p${i}`));
const train = subset(data, indicesOfGroups(data, valGroups, false));
const val = subset(data, indicesOfGroups(data, valGroups, true));

test('the fake-quantized forward pass computes what the int8 graph computes, and QAT keeps it accurate', async () => {
  const trained = await fit(arch, train, val, { seed: 2, epochs: 8, batchSize: 16, learningRate: 1e-2, patience: 20 });
  const ranges = calibrationRanges(arch, trained.weights, train, 0);
  const graph = quantizeModel(arch, foldBatchNorm(arch, trained.weights), ranges);
  const logitsScale = graph.tensors[graph.outputs[0]!]!.quant.scales[0]!;

  const simulated = trainableModel(arch, trained.weights, { learningRate: 0 }, {}, { ranges });
  const fake = predictLogits(simulated, val);
  simulated.dispose();
  const real = int8Logits(graph, val);
  let worst = 0;
  for (let i = 0; i < real.length; i++) worst = Math.max(worst, Math.abs(fake[i]! - real[i]!) / logitsScale);
  console.log(`fake-quant forward vs int8 graph: worst ${worst.toFixed(2)} LSB of the logits`);
  assert.ok(worst <= 3, `simulation drifts ${worst} LSB from the int8 graph`);

  const tuned = await quantAwareFineTune(arch, trained.weights, ranges, train, val, { seed: 2, epochs: 3, batchSize: 16, learningRate: 1e-3, patience: 5 });
  const qatGraph = quantizeModel(arch, foldBatchNorm(arch, tuned.weights), ranges);
  const bacc = balancedAccuracy(confusionMatrix(val.labels, argmaxRows(int8Logits(qatGraph, val), 2), 2));
  assert.ok(bacc >= 0.9, `int8 after QAT: balanced accuracy ${bacc}`);
  // Batch-norm stayed frozen: the running statistics are exactly the ones QAT started from.
  for (const [layer, s] of Object.entries(trained.weights.state)) assert.deepEqual(tuned.weights.state[layer]!.mean, s.mean);
});
