import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensorBytes, type Int8Graph } from '../../src-main/graph/int8Graph';
import { runGraph } from '../../src-main/kernels/runGraph';
import { prepareOp } from '../../src-main/kernels/prepareOp';
import { planMemory } from '../../src-main/planner/planMemory';
import { tensorLifetimes } from '../../src-main/planner/lifetimes';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { GraphBuilder, randomBranchGraph } from './graphBuilder';
import { runInArena } from './arenaExecutor';
import { assertValidPlan } from './planValidity';

/** input 16 B → conv 128 B → conv 64 B → maxPool 16 B → gap 4 B → flatten → dense 3 B → softmax 3 B. */
function chain(): Int8Graph {
  const g = new GraphBuilder('chain', 1);
  const x = g.input('x', [4, 4, 1]);
  const c1 = g.conv(x, 8, 3);
  const c2 = g.conv(c1, 4, 3);
  const flat = g.flatten(g.globalPool(g.pool('maxPool', c2)));
  return g.build([g.softmax(g.dense(flat, 3, 'none'))]);
}

test('lifetimes: inputs live from step 0, outputs to the last step, others from writer to last reader', () => {
  const graph = chain();
  const life = tensorLifetimes(graph, graph.ops.map((_, i) => i));
  const out = (k: number) => graph.ops[k]!.output;
  assert.deepEqual(life.get(graph.inputs[0]!), { first: 0, last: 0 });
  assert.deepEqual(life.get(out(0)), { first: 0, last: 1 });
  assert.deepEqual(life.get(out(3)), { first: 3, last: 4 }, 'gap is read by the reshape');
  assert.deepEqual(life.get(out(4)), { first: 4, last: 5 }, 'flat is read by the dense layer');
  assert.deepEqual(life.get(graph.outputs[0]!), { first: 6, last: 6 });
  assert.throws(() => tensorLifetimes(graph, [1, 0, 2, 3, 4, 5, 6]), /reads tensor conv\/out#\d+ before it is written/);
});

test('a chain needs exactly its largest adjacent pair of activations (192 B), the lower bound', () => {
  const graph = chain();
  const plan = planMemory(graph);
  assert.equal(plan.lowerBoundBytes, 128 + 64);
  assert.equal(plan.arenaBytes, 192);
  assert.equal(plan.peakActivationBytes, plan.arenaBytes);
  assert.equal(plan.naiveActivationBytes, 16 + 128 + 64 + 16 + 4 + 4 + 3 + 3);
  assertValidPlan(graph, plan);
  assert.deepEqual(
    plan.perOp.map((r) => [r.kind, r.liveBytes]),
    [
      ['conv2d', 16 + 128],
      ['conv2d', 128 + 64],
      ['maxPool', 64 + 16],
      ['globalAvgPool', 16 + 4],
      ['reshape', 4],
      ['dense', 4 + 3],
      ['softmax', 3 + 3],
    ],
  );
  assert.match(plan.perOp[0]!.output, /^conv\/out/);
});

test('weight and quantization-parameter bytes count every constant and every multiplier/shift pair', () => {
  const graph = chain();
  const plan = planMemory(graph);
  const conv1 = 8 * 3 * 3 * 1 + 8 * 4;
  const conv2 = 4 * 3 * 3 * 8 + 4 * 4;
  const dense = 3 * 4 + 3 * 4;
  assert.equal(plan.weightBytes, conv1 + conv2 + dense);
  // int32 multiplier + int32 shift: 8 + 4 conv channels, 1 max pool, 1 global pool, 3 dense units, 1 softmax.
  assert.equal(plan.quantParamBytes, 8 * (8 + 4 + 1 + 1 + 3 + 1));
  assert.equal(plan.scratchBytes, 0);
});

test('reshape aliases its input: flattening the largest tensor costs zero bytes', () => {
  const g = new GraphBuilder('flatten-peak', 2);
  const x = g.input('x', [8, 8, 2]);
  const out = g.dense(g.flatten(x), 4, 'none');
  const graph = g.build([out]);
  const plan = planMemory(graph);
  const flat = graph.ops[0]!.output;
  assert.equal(plan.offsets.get(flat), plan.offsets.get(x));
  assert.equal(plan.arenaBytes, 128 + 4, 'input + dense output; the 128-byte flatten adds nothing');
  assert.equal(plan.lowerBoundBytes, 132);
  const inputs = randomInt8Inputs(graph, 3);
  assert.deepEqual(runInArena(graph, plan, inputs).outputs, runGraph(graph, inputs).outputs);
});

test('add writes over an input that dies there; off, it needs a third buffer', () => {
  const build = () => {
    const g = new GraphBuilder('residual', 3);
    const x = g.input('x', [4, 4, 4]);
    const c1 = g.conv(x, 4, 3, 1, 1, 'none');
    const sum = g.add(c1, g.conv(c1, 4, 1, 1, 1, 'none'));
    return g.build([g.softmax(g.dense(g.flatten(g.globalPool(sum)), 3, 'none'))]);
  };
  const graph = build();
  const inPlace = planMemory(graph);
  const separate = planMemory(graph, { inPlaceAdd: false });
  assert.equal(inPlace.arenaBytes, 128);
  assert.equal(separate.arenaBytes, 192);
  const add = graph.ops.find((op) => op.kind === 'add')!;
  assert.ok(add.kind === 'add' && add.inputs.some((id) => inPlace.offsets.get(id) === inPlace.offsets.get(add.output)));
  assertValidPlan(graph, inPlace);
  assertValidPlan(graph, separate);
  const inputs = randomInt8Inputs(graph, 4);
  const reference = runGraph(graph, inputs);
  assert.deepEqual(runInArena(graph, inPlace, inputs).outputs, reference.outputs);
  assert.deepEqual(runInArena(graph, separate, inputs).outputs, reference.outputs);
});

function checkGraph(graph: Int8Graph, seed: number): { arena: number; lower: number; naive: number } {
  for (const alignment of [1, 4]) {
    const plan = planMemory(graph, { alignment });
    assertValidPlan(graph, plan, alignment);
    assert.ok(plan.arenaBytes >= plan.lowerBoundBytes, `${graph.name}: arena ${plan.arenaBytes} < bound ${plan.lowerBoundBytes}`);
    const alignedNaive = graph.tensors.filter((t) => !t.data).reduce((s, t) => s + Math.ceil(tensorBytes(t) / alignment) * alignment, 0);
    assert.ok(plan.arenaBytes <= alignedNaive, `${graph.name}: arena ${plan.arenaBytes} > no-reuse ${alignedNaive}`);
    if (alignment === 1) assert.ok(plan.arenaBytes <= plan.naiveActivationBytes);
    const inputs = randomInt8Inputs(graph, seed);
    const reference = runGraph(graph, inputs);
    const shared = runInArena(graph, plan, inputs);
    assert.deepEqual(shared.outputs, reference.outputs, `${graph.name}: outputs from the shared arena differ`);
    for (const [id, value] of shared.written) assert.deepEqual(value, reference.activations.get(id), `${graph.name}: ${graph.tensors[id]!.name} differs`);
    if (alignment === 4) return { arena: plan.arenaBytes, lower: plan.lowerBoundBytes, naive: plan.naiveActivationBytes };
  }
  throw new Error('unreachable');
}

test('random two-branch graphs (seeds 1..50): valid plans, bound ≤ arena ≤ no-reuse, shared-arena run = runGraph', () => {
  let arena = 0;
  let lower = 0;
  let naive = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const r = checkGraph(randomTwoBranchGraph(seed), seed);
    arena += r.arena;
    lower += r.lower;
    naive += r.naive;
  }
  assert.ok(arena < naive, 'planning saves bytes overall');
  console.log(`two-branch seeds 1..50: arena ${arena} B, lower bound ${lower} B, no reuse ${naive} B`);
});

test('random 3–5 branch graphs (interleaved and sequential): same guarantees', () => {
  for (let seed = 1; seed <= 24; seed++) {
    const branches = 3 + (seed % 3);
    checkGraph(randomBranchGraph(seed, branches, seed % 2 === 0), 100 + seed);
  }
});

test('a 7-branch graph (greedy order search) plans validly and runs identically in one arena', () => {
  checkGraph(randomBranchGraph(77, 7), 77);
});

test('the shared-arena executor catches a broken plan (every tensor at offset 0)', () => {
  const graph = randomTwoBranchGraph(5);
  const plan = planMemory(graph);
  const broken = { ...plan, offsets: new Map([...plan.offsets.keys()].map((id) => [id, 0])) };
  const inputs = randomInt8Inputs(graph, 5);
  const reference = runGraph(graph, inputs);
  const run = runInArena(graph, broken, inputs);
  const differs = [...run.written].some(([id, v]) => !v.every((x, i) => x === reference.activations.get(id)![i]));
  assert.ok(differs, 'overlapping live tensors must corrupt some output');
  assert.throws(() => assertValidPlan(graph, broken));
});

test('quantization parameter counts agree with the prepared ops the blob writer serializes', () => {
  const graph = randomTwoBranchGraph(9);
  let pairs = 0;
  for (const op of graph.ops) {
    const p = prepareOp(graph, op);
    if (p.kind === 'conv2d' || p.kind === 'dense') pairs += p.params.requant.shifts.length;
    else if (p.kind === 'concat') pairs += p.params.rescales.length;
    else if (p.kind === 'add') pairs += 3;
    else if (p.kind !== 'reshape') pairs += 1;
  }
  assert.equal(planMemory(graph).quantParamBytes, pairs * 8);
});
