import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInt8Graph, serializeInt8Graph } from '../../src-main/graph/int8GraphJson';
import { runGraph } from '../../src-main/kernels/runGraph';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';

test('an int8 graph survives its JSON file bit for bit', () => {
  const graph = randomTwoBranchGraph(4);
  const back = parseInt8Graph(serializeInt8Graph(graph), 'g.json');
  assert.equal(back.tensors.length, graph.tensors.length);
  graph.tensors.forEach((t, i) => {
    assert.deepEqual(back.tensors[i]!.shape, t.shape);
    assert.deepEqual(back.tensors[i]!.quant, t.quant);
    if (t.data) assert.deepEqual(Array.from(back.tensors[i]!.data!), Array.from(t.data));
  });
  const inputs = randomInt8Inputs(graph, 1);
  assert.deepEqual(runGraph(back, inputs).outputs, runGraph(graph, inputs).outputs);
});

test('a damaged graph file is rejected naming the file and the field', () => {
  const graph = randomTwoBranchGraph(4);
  const json = JSON.parse(serializeInt8Graph(graph)) as { tensors: { data?: string; shape: number[] }[]; ops: { input?: number }[] };
  assert.throws(() => parseInt8Graph('{', 'g.json'), /g\.json: not valid JSON/);
  const shortData = structuredClone(json);
  const withData = shortData.tensors.findIndex((t) => t.data);
  shortData.tensors[withData]!.data = Buffer.from([1, 2, 3]).toString('base64');
  assert.throws(() => parseInt8Graph(JSON.stringify(shortData), 'g.json'), new RegExp(`g\\.json: field 'tensors\\.${withData}\\.data': 3 bytes`));
  const badRef = structuredClone(json);
  badRef.ops[0]!.input = 9999;
  assert.throws(() => parseInt8Graph(JSON.stringify(badRef), 'g.json'), /field 'ops\.0': tensor 9999 does not exist/);
  const badShape = structuredClone(json);
  badShape.tensors[0]!.shape = [0];
  assert.throws(() => parseInt8Graph(JSON.stringify(badShape), 'g.json'), /field 'tensors\.0\.shape\.0'/);
});
