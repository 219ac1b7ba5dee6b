// The TS reference kernels against onnxruntime-node on random single-op QDQ models.
// TFLite's fixed-point requantization and onnxruntime's float requantization (round half to even)
// may disagree by one step on near-ties, so the bar is |Δ| ≤ 1 with the bit-exact share reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { runGraph } from '../../src-main/kernels/runGraph';
import { randomInputs, randomSingleOpGraph, seededRandom, type OpKind } from './randomGraphs';
import { nchwToNhwc, nhwcToNchw, onnxDims, singleOpModel } from './onnxSingleOp';

const CASES = 40;
const ops: OpKind[] = ['conv2d', 'dense', 'maxPool', 'avgPool', 'globalAvgPool', 'concat', 'add', 'softmax', 'reshape'];
export const agreement: Record<string, { exact: number; total: number; maxDiff: number }> = {};

for (const kind of ops) {
  test(`${kind}: TS reference within 1 LSB of onnxruntime`, async () => {
    const r = seededRandom(1000 + ops.indexOf(kind));
    let exact = 0;
    let total = 0;
    let maxDiff = 0;
    for (let i = 0; i < CASES; i++) {
      const graph = randomSingleOpGraph(kind, r, { sameQuant: kind === 'maxPool' || kind === 'avgPool' || kind === 'globalAvgPool' ? true : undefined });
      const inputs = randomInputs(graph, r);
      const expected = runGraph(graph, inputs).outputs[0]!;
      const session = await ort.InferenceSession.create(singleOpModel(graph));
      const feeds: Record<string, ort.Tensor> = {};
      graph.inputs.forEach((id, k) => {
        const t = graph.tensors[id]!;
        feeds[t.name] = new ort.Tensor('int8', nhwcToNchw(inputs[k]!, t.shape), onnxDims(t));
      });
      const result = await session.run(feeds);
      await session.release();
      const outT = graph.tensors[graph.outputs[0]!]!;
      const got = nchwToNhwc(result['y']!.data as Int8Array, outT.shape);
      assert.equal(got.length, expected.length);
      for (let j = 0; j < got.length; j++) {
        const d = Math.abs(got[j]! - expected[j]!);
        maxDiff = Math.max(maxDiff, d);
        if (d === 0) exact++;
        total++;
        assert.ok(d <= 1, `${kind} case ${i} element ${j}: onnxruntime ${got[j]} vs reference ${expected[j]}`);
      }
    }
    agreement[kind] = { exact, total, maxDiff };
    console.log(`# onnxruntime agreement ${kind}: ${exact}/${total} bit-exact (${((100 * exact) / total).toFixed(2)}%), max |Δ| ${maxDiff}`);
  });
}
