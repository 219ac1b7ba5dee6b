import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { calibrate } from '../../src-main/compress/calibrate';
import { foldBatchNorm } from '../../src-main/compress/foldBatchNorm';
import { activationQuant, constantBytes, dequantizeValues, quantizeModel, quantizeTensorValues, quantizeWeightsPerChannel } from '../../src-main/compress/quantize';
import { exportInt8GraphToOnnx } from '../../src-main/export/onnxInt8';
import { runGraph } from '../../src-main/kernels/runGraph';
import { buildArchitecture, type ArchitectureInput } from '../../src-main/model/architecture';
import { studentArchitecture } from '../../src-main/model/tinyM2Net';
import type { ModelWeights } from '../../src-main/model/weights';
import { initEngine, trainableModel } from '../../src-main/train/engine';
import { initWeights } from '../../src-main/train/initWeights';
import { seededRandom } from '../../src-main/train/random';

/** Every layer kind the quantizer handles, with non-trivial batch-norm statistics. */
const spec: ArchitectureInput = {
  name: 'quantize-test',
  modalities: [
    {
      name: 'cough',
      input: [12, 10, 1],
      layers: [
        { kind: 'conv2d', filters: 6, kernel: [3, 3], activation: 'relu' },
        { kind: 'maxPool', size: [2, 2] },
        { kind: 'separableConv2d', filters: 8, kernel: [3, 3], activation: 'relu6' },
        { kind: 'globalAvgPool' },
      ],
    },
    {
      name: 'speech',
      input: [10, 8, 1],
      layers: [
        { kind: 'conv2d', filters: 4, kernel: [3, 3], stride: [2, 2], activation: 'relu' },
        { kind: 'avgPool', size: [1, 2] },
      ],
    },
  ],
  head: [{ kind: 'dense', units: 8, batchNorm: true, activation: 'relu' }],
  classes: 3,
};

function perturbedWeights(seed: number): ModelWeights {
  const arch = buildArchitecture(spec);
  const w = initWeights(arch, seed);
  const r = seededRandom(seed + 100);
  for (const [layer, s] of Object.entries(w.state)) {
    s.mean!.forEach((_, i, a) => (a[i] = r.normal() * 0.3));
    s.variance!.forEach((_, i, a) => (a[i] = 0.5 + r.next()));
    const p = w.params[layer]!;
    p.gamma!.forEach((_, i, a) => (a[i] = 0.7 + 0.6 * r.next()));
    p.beta!.forEach((_, i, a) => (a[i] = r.normal() * 0.2));
  }
  return w;
}

function randomInputs(count: number, seed: number): Float32Array[] {
  const r = seededRandom(seed);
  const arch = buildArchitecture(spec);
  return arch.branches.map((b) => Float32Array.from({ length: count * b.input[0] * b.input[1] * b.input[2] }, () => r.normal() * 2 - 1));
}

test('per-channel weight quantization keeps each channel within half a step and uses the full range', () => {
  const w = Float32Array.from([0.5, -0.25, 0.1, 0, 0, 0, 2, 1, -2]);
  const { data, scales } = quantizeWeightsPerChannel(w, 3);
  assert.deepEqual(Array.from(data.subarray(0, 3)), [127, -64, 25]);
  assert.deepEqual(Array.from(data.subarray(3, 6)), [0, 0, 0], 'an all-zero channel stays zero');
  assert.equal(scales[1], 1);
  assert.deepEqual(Array.from(data.subarray(6)), [127, 64, -127]);
  w.forEach((v, i) => assert.ok(Math.abs(data[i]! * scales[Math.floor(i / 3)]! - v) <= scales[Math.floor(i / 3)]! / 2 + 1e-9));
});

test('activation quantization represents zero exactly and covers the range', () => {
  const q = activationQuant({ min: -1, max: 3 });
  assert.equal(Math.round(0 / q.scales[0]!) + q.zeroPoint, q.zeroPoint);
  assert.equal(q.zeroPoint, -64);
  const relu = activationQuant({ min: 0, max: 6 });
  assert.equal(relu.zeroPoint, -128);
  const values = Float32Array.from([-1, 0, 3, 1.5]);
  const back = dequantizeValues(quantizeTensorValues(values, q), q);
  values.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= q.scales[0]! / 2 + 1e-7));
});

test('folded, calibrated int8 model tracks the float model and onnxruntime agrees within 1 LSB', async () => {
  await initEngine();
  const arch = buildArchitecture(spec);
  const weights = perturbedWeights(3);
  const model = trainableModel(arch, weights, { learningRate: 1e-3 });
  const sizes = arch.branches.map((b) => ({ modality: b.modality, sampleSize: b.input[0] * b.input[1] * b.input[2] }));
  const calibration = { count: 64, modalities: randomInputs(64, 11) };
  const ranges = calibrate((x) => model.trace(x), calibration, sizes);
  const graph = quantizeModel(arch, foldBatchNorm(arch, weights), ranges);
  assert.equal(graph.ops.filter((o) => o.kind === 'conv2d').length, 4, 'conv, depthwise, pointwise, strided conv');
  assert.ok(constantBytes(graph) > arch.params - 100, 'weights are stored as int8 plus int32 biases');

  const evalCount = 32;
  const evalInputs = randomInputs(evalCount, 12);
  const floatLogits = model.logits({ count: evalCount, modalities: evalInputs });
  const logitsTensor = graph.tensors[graph.outputs[0]!]!;
  const session = await ort.InferenceSession.create(exportInt8GraphToOnnx(graph));
  let worstRel = 0;
  let agree = 0;
  let maxLsb = 0;
  for (let n = 0; n < evalCount; n++) {
    const int8Inputs = arch.branches.map((b, i) => {
      const size = sizes[i]!.sampleSize;
      return quantizeTensorValues(evalInputs[i]!.subarray(n * size, (n + 1) * size), graph.tensors[graph.inputs[i]!]!.quant);
    });
    const out = runGraph(graph, int8Inputs).outputs[0]!;
    const deq = dequantizeValues(out, logitsTensor.quant);
    const ref = floatLogits.subarray(n * 3, n * 3 + 3);
    const spread = Math.max(...ref) - Math.min(...ref);
    for (let c = 0; c < 3; c++) worstRel = Math.max(worstRel, Math.abs(deq[c]! - ref[c]!) / Math.max(spread, 1e-3));
    const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
    if (argmax(deq) === argmax(ref)) agree++;
    const feeds: Record<string, ort.Tensor> = {};
    arch.branches.forEach((b, i) => (feeds[b.modality] = new ort.Tensor('int8', int8Inputs[i]!, [1, ...b.input])));
    const onnxOut = (await session.run(feeds))[session.outputNames[0]!]!.data as Int8Array;
    for (let c = 0; c < 3; c++) maxLsb = Math.max(maxLsb, Math.abs(onnxOut[c]! - out[c]!));
  }
  await session.release();
  model.dispose();
  console.log(`int8 vs float: worst logit error ${(worstRel * 100).toFixed(1)} % of the logit spread, argmax agrees ${agree}/${evalCount}; onnxruntime max ${maxLsb} LSB`);
  assert.ok(worstRel < 0.15, `int8 logits drift ${worstRel} of the spread from float`);
  assert.ok(agree >= evalCount - 2, `argmax agrees on ${agree}/${evalCount}`);
  assert.ok(maxLsb <= 1, `onnxruntime differs by ${maxLsb} LSB`);
});

test('a time-pooled model (tall average-pool window over the whole time axis) agrees with onnxruntime layer by layer', async () => {
  await initEngine();
  const arch = buildArchitecture(
    studentArchitecture({ modalities: [{ name: 'cough', input: [48, 16, 1] }, { name: 'speech', input: [96, 16, 1] }], classes: 2, depth: 3, denseUnits: 8, pooling: 'time' }),
  );
  assert.deepEqual(arch.branches.map((b) => b.layers.at(-1)!.spec), [
    { kind: 'avgPool', name: 'timepool', size: [6, 1] },
    { kind: 'avgPool', name: 'timepool', size: [12, 1] },
  ]);
  const weights = initWeights(arch, 5);
  const model = trainableModel(arch, weights, { learningRate: 0 });
  const r = seededRandom(21);
  const sizes = arch.branches.map((b) => ({ modality: b.modality, sampleSize: b.input[0] * b.input[1] * b.input[2] }));
  const draw = (count: number) => sizes.map((s) => Float32Array.from({ length: count * s.sampleSize }, () => r.normal()));
  const graph = quantizeModel(arch, foldBatchNorm(arch, weights), calibrate((x) => model.trace(x), { count: 32, modalities: draw(32) }, sizes));
  model.dispose();
  const probes = graph.ops.filter((op) => op.kind !== 'reshape').map((op) => op.output);
  const session = await ort.InferenceSession.create(exportInt8GraphToOnnx({ ...graph, outputs: probes }));
  let worst = 0;
  const eval_ = draw(8);
  for (let n = 0; n < 8; n++) {
    const inputs = sizes.map((s, i) => quantizeTensorValues(eval_[i]!.subarray(n * s.sampleSize, (n + 1) * s.sampleSize), graph.tensors[graph.inputs[i]!]!.quant));
    const reference = runGraph(graph, inputs);
    const feeds: Record<string, ort.Tensor> = {};
    arch.branches.forEach((b, i) => (feeds[b.modality] = new ort.Tensor('int8', inputs[i]!, [1, ...b.input])));
    const result = await session.run(feeds);
    probes.forEach((id, k) => {
      const ref = reference.activations.get(id)!;
      const got = result[session.outputNames[k]!]!.data as Int8Array;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - got[i]!));
    });
  }
  await session.release();
  assert.ok(worst <= 1, `max difference ${worst} LSB`);
});
