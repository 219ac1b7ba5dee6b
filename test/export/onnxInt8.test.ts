import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { exportInt8GraphToOnnx } from '../../src-main/export/onnxInt8';
import { prepareOp } from '../../src-main/kernels/prepareOp';
import { runGraph, runPreparedOp } from '../../src-main/kernels/runGraph';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';

async function runOnnx(graph: Int8Graph, session: ort.InferenceSession, inputs: Int8Array[]): Promise<Int8Array[]> {
  const feeds: Record<string, ort.Tensor> = {};
  graph.inputs.forEach((id, k) => {
    feeds[graph.modalities[k]!] = new ort.Tensor('int8', inputs[k]!, [1, ...graph.tensors[id]!.shape]);
  });
  const result = await session.run(feeds);
  return session.outputNames.map((n) => result[n]!.data as Int8Array);
}

/**
 * The model's int8 logits must match the reference within 1 LSB. The int8 softmax after them is checked
 * on onnxruntime's own logits: a 1-LSB difference in a coarse logit legitimately moves a probability by
 * many LSB, so comparing probabilities end to end would test the logits twice and the softmax never.
 */
test('the exported QDQ model matches the int8 reference kernels within 1 LSB on every input', async () => {
  let compared = 0;
  let bitExact = 0;
  let maxDiff = 0;
  let maxSoftmaxDiff = 0;
  for (const seed of [1, 2, 3]) {
    const graph = randomTwoBranchGraph(seed);
    const softmaxOp = graph.ops.find((op) => op.kind === 'softmax');
    assert.ok(softmaxOp, 'the fixture ends in a softmax');
    const probed: Int8Graph = { ...graph, outputs: [softmaxOp.input, softmaxOp.output] };
    const session = await ort.InferenceSession.create(exportInt8GraphToOnnx(probed));
    assert.deepEqual(session.inputNames, ['cough', 'speech']);
    const prepared = prepareOp(graph, softmaxOp);
    for (let k = 0; k < 20; k++) {
      const inputs = randomInt8Inputs(graph, seed * 1000 + k);
      const reference: Int8Array = runGraph(graph, inputs).activations.get(softmaxOp.input)!;
      const [logits, probs]: Int8Array[] = await runOnnx(probed, session, inputs);
      assert.equal(logits!.length, reference.length);
      for (let i = 0; i < reference.length; i++) {
        const d = Math.abs(reference[i]! - logits![i]!);
        maxDiff = Math.max(maxDiff, d);
        compared++;
        if (d === 0) bitExact++;
      }
      const softmaxRef = new Int8Array(probs!.length);
      runPreparedOp(prepared, () => logits!, softmaxRef);
      for (let i = 0; i < softmaxRef.length; i++) maxSoftmaxDiff = Math.max(maxSoftmaxDiff, Math.abs(softmaxRef[i]! - probs![i]!));
    }
    await session.release();
  }
  console.log(`onnxruntime vs reference: ${bitExact}/${compared} logits bit-exact, max difference ${maxDiff} LSB; softmax max difference ${maxSoftmaxDiff} LSB`);
  assert.ok(maxDiff <= 1, `logits: max difference ${maxDiff} LSB`);
  assert.ok(maxSoftmaxDiff <= 1, `softmax: max difference ${maxSoftmaxDiff} LSB`);
});

test('the export of every intermediate activation agrees too (each layer as a graph output)', async () => {
  const graph = randomTwoBranchGraph(7);
  const inputs = randomInt8Inputs(graph, 7);
  const reference = runGraph(graph, inputs);
  // Expose every op output: a drift in one layer must not hide behind a saturating softmax.
  const probes = graph.ops.filter((op) => op.kind !== 'reshape').map((op) => op.output);
  const probed: Int8Graph = { ...graph, outputs: probes };
  const session = await ort.InferenceSession.create(exportInt8GraphToOnnx(probed));
  const outs = await runOnnx(probed, session, inputs);
  probes.forEach((id, k) => {
    const ref = reference.activations.get(id)!;
    const got = outs[k]!;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i]! - got[i]!));
    assert.ok(worst <= 1, `layer ${graph.tensors[id]!.name}: max difference ${worst} LSB`);
    // The test graph is calibrated so layers are not constant (a constant layer would compare trivially).
    assert.ok(new Set(ref).size > 2, `layer ${graph.tensors[id]!.name} is degenerate`);
  });
  await session.release();
});
