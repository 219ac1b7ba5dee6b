/**
 * Test-only checker, written independently of the planner: recomputes lifetimes from the order and fails
 * if two tensors alive at the same step share any byte, unless they are a legitimate in-place alias
 * (reshape, or an add writing over an input whose bytes are read for the last time by that add).
 */
import assert from 'node:assert/strict';
import { opInputs, tensorBytes, type Int8Graph, type TensorId } from '../../src-main/graph/int8Graph';
import type { ArenaPlan } from '../../src-main/planner/arenaPlan';

export function assertValidPlan(graph: Int8Graph, plan: ArenaPlan, alignment = 4): void {
  const isAct = (id: TensorId) => graph.tensors[id]!.data === undefined;
  const activations = graph.tensors.filter((t) => t.data === undefined).map((t) => t.id);

  assert.equal(plan.order.length, graph.ops.length, 'order runs every op');
  assert.equal(new Set(plan.order).size, graph.ops.length, 'order runs every op once');
  const first = new Map<TensorId, number>(graph.inputs.map((id) => [id, 0]));
  const last = new Map<TensorId, number>(graph.inputs.map((id) => [id, 0]));
  plan.order.forEach((opIndex, step) => {
    const op = graph.ops[opIndex]!;
    for (const id of opInputs(op).filter(isAct)) {
      assert.ok(first.has(id), `step ${step}: ${op.kind} reads ${graph.tensors[id]!.name} before it is written`);
      last.set(id, step);
    }
    first.set(op.output, step);
    last.set(op.output, step);
  });
  for (const id of graph.outputs) last.set(id, plan.order.length - 1);

  for (const id of activations) {
    const offset = plan.offsets.get(id);
    assert.ok(offset !== undefined, `offset for ${graph.tensors[id]!.name}`);
    assert.equal(offset % alignment, 0, `${graph.tensors[id]!.name} offset ${offset} aligned to ${alignment}`);
    assert.ok(offset >= 0 && offset + tensorBytes(graph.tensors[id]!) <= plan.arenaBytes, `${graph.tensors[id]!.name} inside the arena`);
  }

  // Legitimate aliases, as classes of tensors sharing exactly the same bytes.
  const parent = new Map<TensorId, TensorId>();
  const find = (id: TensorId): TensorId => {
    const p = parent.get(id);
    return p === undefined || p === id ? id : find(p);
  };
  const sameBytes = (a: TensorId, b: TensorId) => plan.offsets.get(a) === plan.offsets.get(b) && tensorBytes(graph.tensors[a]!) === tensorBytes(graph.tensors[b]!);
  plan.order.forEach((opIndex, step) => {
    const op = graph.ops[opIndex]!;
    if (op.kind === 'reshape' && sameBytes(op.input, op.output)) parent.set(op.output, find(op.input));
    if (op.kind === 'add') {
      for (const input of op.inputs) {
        if (!sameBytes(input, op.output)) continue;
        const root = find(input);
        const members = activations.filter((id) => find(id) === root);
        assert.ok(
          members.every((id) => last.get(id)! <= step && !graph.outputs.includes(id)),
          `add at step ${step} writes over ${graph.tensors[input]!.name}, whose bytes are still needed after it`,
        );
        parent.set(op.output, root);
      }
    }
  });

  for (let i = 0; i < activations.length; i++) {
    for (let j = i + 1; j < activations.length; j++) {
      const a = activations[i]!;
      const b = activations[j]!;
      if (!(first.has(a) && first.has(b))) continue;
      const timeOverlap = first.get(a)! <= last.get(b)! && first.get(b)! <= last.get(a)!;
      const oa = plan.offsets.get(a)!;
      const ob = plan.offsets.get(b)!;
      const spaceOverlap = oa < ob + tensorBytes(graph.tensors[b]!) && ob < oa + tensorBytes(graph.tensors[a]!);
      if (timeOverlap && spaceOverlap && tensorBytes(graph.tensors[a]!) > 0 && tensorBytes(graph.tensors[b]!) > 0) {
        assert.equal(find(a), find(b), `${graph.tensors[a]!.name} and ${graph.tensors[b]!.name} are live together and share bytes`);
      }
    }
  }
}
