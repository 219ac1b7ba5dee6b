/**
 * Picks the execution order with the smallest arena. A multimodal graph is one independent branch per
 * modality up to the fusion, and branches can run in any interleaving; which one runs first matters
 * because every graph input is resident from the start, so a branch with a large input and a small
 * output is better run early (freeing its input) than late (keeping it through the other branches'
 * peaks). We search the natural family, each branch run to completion before the next: every
 * permutation when there are few branches, a greedy choice otherwise. The graph's own order is always
 * a candidate and wins ties, so the search never does worse than the graph as given.
 */
import { opInputs, type Int8Graph, type TensorId } from '../graph/int8Graph';
import { isActivation, isTopologicalOrder } from './lifetimes';

export interface GraphBranches {
  /** Ops that depend on no graph input (none in graphs we build; kept so any graph still orders). */
  readonly prelude: readonly number[];
  /** One list of op indices per branch, in graph order; a branch is every op reached from exactly one input. */
  readonly branches: readonly (readonly number[])[];
  /** Ops that depend on several inputs (the fusion and the head), in graph order. */
  readonly trunk: readonly number[];
}

export function graphBranches(graph: Int8Graph): GraphBranches {
  const sources = new Map<TensorId, ReadonlySet<number>>();
  graph.inputs.forEach((id, k) => sources.set(id, new Set([k])));
  const prelude: number[] = [];
  const branches: number[][] = graph.inputs.map(() => []);
  const trunk: number[] = [];
  graph.ops.forEach((op, opIndex) => {
    const reached = new Set<number>();
    for (const id of opInputs(op)) {
      if (!isActivation(graph, id)) continue;
      const from = sources.get(id);
      if (!from) throw new Error(`graph ${graph.name}: op ${opIndex} (${op.kind}) reads ${graph.tensors[id]?.name ?? id} before any op writes it; ops must be topologically ordered`);
      for (const k of from) reached.add(k);
    }
    sources.set(op.output, reached);
    if (reached.size === 0) prelude.push(opIndex);
    else if (reached.size === 1) branches[[...reached][0]!]!.push(opIndex);
    else trunk.push(opIndex);
  });
  return { prelude, branches: branches.filter((b) => b.length > 0), trunk };
}

export function branchFirstOrder(parts: GraphBranches, branchOrder: readonly number[]): number[] {
  return [...parts.prelude, ...branchOrder.flatMap((k) => parts.branches[k]!), ...parts.trunk];
}

function* permutations(n: number): Generator<number[]> {
  const items = Array.from({ length: n }, (_, i) => i);
  function* walk(prefix: number[], rest: number[]): Generator<number[]> {
    if (rest.length === 0) yield prefix;
    for (let i = 0; i < rest.length; i++) yield* walk([...prefix, rest[i]!], [...rest.slice(0, i), ...rest.slice(i + 1)]);
  }
  yield* walk([], items);
}

export interface OrderSearchOptions {
  /** Up to this many branches every permutation is tried (n! orders); above it, a greedy choice. Default 6. */
  readonly maxExhaustiveBranches?: number;
}

export interface ChosenOrder {
  readonly order: readonly number[];
  readonly cost: number;
  /** How many candidate orders were evaluated. */
  readonly tried: number;
}

/** The valid order with the lowest `cost` (e.g. arena bytes) among the graph's own and the branch-first orders. */
export function bestExecutionOrder(graph: Int8Graph, cost: (order: readonly number[]) => number, options: OrderSearchOptions = {}): ChosenOrder {
  const natural = graph.ops.map((_, i) => i);
  if (!isTopologicalOrder(graph, natural)) throw new Error(`graph ${graph.name}: ops are not topologically ordered`);
  let best = { order: natural as readonly number[], cost: cost(natural) };
  let tried = 1;
  const consider = (order: number[]): number => {
    if (!isTopologicalOrder(graph, order)) return Number.POSITIVE_INFINITY;
    tried++;
    const c = cost(order);
    if (c < best.cost) best = { order, cost: c };
    return c;
  };

  const parts = graphBranches(graph);
  const n = parts.branches.length;
  if (n <= 1) return { ...best, tried };
  if (n <= (options.maxExhaustiveBranches ?? 6)) {
    for (const perm of permutations(n)) consider(branchFirstOrder(parts, perm));
    return { ...best, tried };
  }
  // Greedy: fix branches one at a time, each time the one whose placement next (the rest following in
  // graph order) gives the smallest cost. n² evaluations instead of n!.
  const chosen: number[] = [];
  const remaining = new Set(parts.branches.map((_, k) => k));
  while (remaining.size > 0) {
    let pick = -1;
    let pickCost = Number.POSITIVE_INFINITY;
    for (const k of remaining) {
      const rest = [...remaining].filter((r) => r !== k);
      const c = consider(branchFirstOrder(parts, [...chosen, k, ...rest]));
      if (c < pickCost) {
        pick = k;
        pickCost = c;
      }
    }
    if (pick < 0) pick = [...remaining][0]!;
    chosen.push(pick);
    remaining.delete(pick);
  }
  return { ...best, tried };
}
