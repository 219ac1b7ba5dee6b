import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { bestExecutionOrder, graphBranches } from '../../src-main/planner/executionOrder';
import { isTopologicalOrder } from '../../src-main/planner/lifetimes';
import { planMemory } from '../../src-main/planner/planMemory';
import { runGraph } from '../../src-main/kernels/runGraph';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { GraphBuilder, randomBranchGraph } from './graphBuilder';
import { runInArena } from './arenaExecutor';
import { assertValidPlan } from './planValidity';

/**
 * Branch A: a 16-byte input grows to two 1 KB feature maps. Branch B: a 1 KB input pooled down at once.
 * As given (A first), B's 1 KB input stays resident through A's peak: 3 × 1 KB. Running B first frees
 * it: A's two 1 KB maps plus B's 1-byte result, 2049 B.
 */
function bigInputLate(): Int8Graph {
  const g = new GraphBuilder('big-input-late', 11);
  const inA = g.input('a', [4, 4, 1]);
  const inB = g.input('b', [32, 32, 1]);
  const a = g.flatten(g.globalPool(g.conv(g.conv(inA, 64, 1), 64, 1)));
  const b = g.flatten(g.globalPool(g.pool('maxPool', inB)));
  return g.build([g.softmax(g.dense(g.concat([a, b]), 2, 'none'))]);
}

test('branches are the ops reached from exactly one input; the fusion and head form the trunk', () => {
  const graph = randomTwoBranchGraph(3);
  const parts = graphBranches(graph);
  assert.deepEqual(parts.prelude, []);
  assert.deepEqual(parts.branches, [
    [0, 1, 2, 3, 4, 5],
    [6, 7, 8, 9, 10, 11],
  ]);
  assert.deepEqual(parts.trunk, [12, 13, 14, 15]);
});

test('running the branch with the large input first is strictly better (3072 B → 2049 B)', () => {
  const graph = bigInputLate();
  const given = planMemory(graph, { alignment: 1, searchOrder: false });
  const searched = planMemory(graph, { alignment: 1 });
  assert.equal(given.arenaBytes, 3 * 1024);
  assert.equal(searched.arenaBytes, 2 * 1024 + 1);
  assert.equal(searched.arenaBytes, searched.lowerBoundBytes);
  const bBranch = graphBranches(graph).branches[1]!;
  assert.deepEqual(searched.order.slice(0, bBranch.length), bBranch, 'branch B runs first');
  assertValidPlan(graph, searched, 1);
  const inputs = randomInt8Inputs(graph, 11);
  assert.deepEqual(runInArena(graph, searched, inputs).outputs, runGraph(graph, inputs).outputs);
});

test('the search never does worse than the graph as given, and always returns a topological order', () => {
  const graphs = [
    ...Array.from({ length: 20 }, (_, i) => randomTwoBranchGraph(i + 1)),
    ...Array.from({ length: 18 }, (_, i) => randomBranchGraph(200 + i, 3 + (i % 4), i % 2 === 1)),
  ];
  let strictlyBetter = 0;
  for (const graph of graphs) {
    const given = planMemory(graph, { searchOrder: false });
    const searched = planMemory(graph);
    assert.ok(isTopologicalOrder(graph, searched.order), `${graph.name}: order is topological`);
    assert.ok(searched.arenaBytes <= given.arenaBytes, `${graph.name}: ${searched.arenaBytes} > ${given.arenaBytes}`);
    if (searched.arenaBytes < given.arenaBytes) strictlyBetter++;
  }
  assert.ok(strictlyBetter > 0, 'interleaved multi-branch graphs gain from the search');
});

test('every permutation up to 6 branches; greedy above (n(n+1)/2 candidates)', () => {
  const cost = (order: readonly number[]) => order.indexOf(0);
  const three = randomBranchGraph(5, 3);
  assert.equal(bestExecutionOrder(three, cost).tried, 1 + 6);
  const six = randomBranchGraph(6, 6);
  assert.equal(bestExecutionOrder(six, cost).tried, 1 + 720);
  const seven = randomBranchGraph(7, 7);
  assert.equal(bestExecutionOrder(seven, cost).tried, 1 + (7 * 8) / 2);
  const four = randomBranchGraph(4, 4);
  assert.equal(bestExecutionOrder(four, cost).tried, 1 + 24);
  assert.equal(bestExecutionOrder(four, cost, { maxExhaustiveBranches: 3 }).tried, 1 + (4 * 5) / 2);
});

test('the cost decides: pushing op 0 as late as possible runs its branch last', () => {
  const graph = randomBranchGraph(8, 4, true);
  const chosen = bestExecutionOrder(graph, (order) => -order.indexOf(0));
  const parts = graphBranches(graph);
  const lastBranch = parts.branches[0]!;
  const trunkStart = chosen.order.length - parts.trunk.length;
  assert.deepEqual(chosen.order.slice(trunkStart - lastBranch.length, trunkStart), lastBranch);
  assert.ok(isTopologicalOrder(graph, chosen.order));
});

test('orders that break a dependency are refused; a graph not in topological order is an error', () => {
  const graph = randomTwoBranchGraph(2);
  assert.equal(isTopologicalOrder(graph, [1, 0, ...graph.ops.slice(2).map((_, i) => i + 2)]), false);
  assert.equal(isTopologicalOrder(graph, graph.ops.map((_, i) => i).slice(1)), false);
  const shuffled: Int8Graph = { ...graph, ops: [graph.ops[1]!, graph.ops[0]!, ...graph.ops.slice(2)] };
  assert.throws(() => planMemory(shuffled), /before any op writes it|not topologically ordered/);
});
