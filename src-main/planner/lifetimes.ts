import { opInputs, type Int8Graph, type TensorId } from '../graph/int8Graph';

/** Steps (positions in the execution order, not op indices) during which a tensor's bytes must be kept. */
export interface Lifetime {
  readonly first: number;
  readonly last: number;
}

export function isActivation(graph: Int8Graph, id: TensorId): boolean {
  return graph.tensors[id] !== undefined && graph.tensors[id]!.data === undefined;
}

/**
 * Each activation's [first, last] step for a given execution order. Graph inputs are written before the
 * first op and outputs read after the last, so they live from step 0 and to the final step respectively.
 * A tensor nobody reads still occupies its bytes at the step that writes it.
 */
export function tensorLifetimes(graph: Int8Graph, order: readonly number[]): Map<TensorId, Lifetime> {
  const first = new Map<TensorId, number>();
  const last = new Map<TensorId, number>();
  const end = Math.max(order.length - 1, 0);
  for (const id of graph.inputs) {
    first.set(id, 0);
    last.set(id, 0);
  }
  order.forEach((opIndex, step) => {
    const op = graph.ops[opIndex];
    if (!op) throw new RangeError(`graph ${graph.name}: execution order names op ${opIndex}, which does not exist`);
    for (const id of opInputs(op)) {
      if (!isActivation(graph, id)) continue;
      if (!first.has(id)) throw new Error(`graph ${graph.name}: op ${opIndex} (${op.kind}) reads tensor ${graph.tensors[id]?.name ?? id} before it is written`);
      last.set(id, Math.max(last.get(id)!, step));
    }
    if (first.has(op.output)) throw new Error(`graph ${graph.name}: tensor ${graph.tensors[op.output]?.name ?? op.output} is written twice`);
    first.set(op.output, step);
    last.set(op.output, step);
  });
  for (const id of graph.outputs) {
    if (!first.has(id)) throw new Error(`graph ${graph.name}: output ${graph.tensors[id]?.name ?? id} is never written`);
    last.set(id, end);
  }
  const lifetimes = new Map<TensorId, Lifetime>();
  for (const [id, f] of first) lifetimes.set(id, { first: f, last: last.get(id)! });
  return lifetimes;
}

/** True when `order` runs every op exactly once, each after the ops producing its inputs. */
export function isTopologicalOrder(graph: Int8Graph, order: readonly number[]): boolean {
  if (order.length !== graph.ops.length || new Set(order).size !== order.length) return false;
  const written = new Set<TensorId>(graph.inputs);
  for (const opIndex of order) {
    const op = graph.ops[opIndex];
    if (!op) return false;
    if (opInputs(op).some((id) => isActivation(graph, id) && !written.has(id))) return false;
    written.add(op.output);
  }
  return true;
}
