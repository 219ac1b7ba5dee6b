/**
 * Which activations may share bytes, decided before placement: tensors that share are merged into one
 * arena buffer whose lifetime is the union of theirs, so the greedy placer never needs to know about
 * aliasing and a validity check on buffers is a validity check on tensors.
 *
 * Allowed:
 * - `reshape`: the output *is* the input's bytes under another shape (NHWC row-major flattening), so it
 *   always aliases, costs no bytes, and keeps the shared buffer alive as long as either name is read.
 *   The reference kernel copies with TypedArray.set, which is defined for a source and target that are
 *   the same memory, so running it on the aliased views is a no-op.
 * - `add` (optional, on by default): the output may take over an input's buffer when that input (and
 *   everything aliasing it) is last read by this very add and is not a graph output. This is safe for
 *   src-main/kernels/add.ts because it has no broadcasting (both inputs and the output have the same
 *   length) and iteration i reads a[i] and b[i] before it writes output[i] and never reads index i again.
 *
 * Not allowed: every other kernel reads input elements after writing output elements that overlap them
 * (conv and pooling windows, dense dot products, softmax's row max then exp pass, concat's interleaving
 * copy), so their outputs always get fresh bytes.
 */
import { tensorBytes, type Int8Graph, type TensorId } from '../graph/int8Graph';
import { isActivation, tensorLifetimes } from './lifetimes';

export interface ArenaBuffer {
  /** Every tensor stored in these bytes, in the order they were written. */
  readonly tensors: readonly TensorId[];
  readonly bytes: number;
  /** First and last step (position in the execution order) at which the bytes are in use. */
  readonly first: number;
  readonly last: number;
}

export interface InPlaceOptions {
  /** Let `add` write over an input that dies at that add (default true). Reshape always aliases. */
  readonly inPlaceAdd?: boolean;
}

export interface ArenaBuffers {
  readonly buffers: readonly ArenaBuffer[];
  readonly bufferOf: ReadonlyMap<TensorId, number>;
}

interface Group {
  tensors: TensorId[];
  bytes: number;
  first: number;
  last: number;
  holdsGraphOutput: boolean;
}

export function arenaBuffers(graph: Int8Graph, order: readonly number[], options: InPlaceOptions = {}): ArenaBuffers {
  const inPlaceAdd = options.inPlaceAdd ?? true;
  const lifetimes = tensorLifetimes(graph, order);
  const outputs = new Set(graph.outputs);
  const groups: Group[] = [];
  const groupOf = new Map<TensorId, number>();

  const open = (id: TensorId): void => {
    const life = lifetimes.get(id)!;
    groupOf.set(id, groups.length);
    groups.push({ tensors: [id], bytes: tensorBytes(graph.tensors[id]!), first: life.first, last: life.last, holdsGraphOutput: outputs.has(id) });
  };
  const join = (id: TensorId, g: number): void => {
    const group = groups[g]!;
    const life = lifetimes.get(id)!;
    group.tensors.push(id);
    group.first = Math.min(group.first, life.first);
    group.last = Math.max(group.last, life.last);
    group.holdsGraphOutput ||= outputs.has(id);
    groupOf.set(id, g);
  };

  for (const id of graph.inputs) open(id);
  order.forEach((opIndex, step) => {
    const op = graph.ops[opIndex]!;
    const bytes = tensorBytes(graph.tensors[op.output]!);
    if (op.kind === 'reshape' && isActivation(graph, op.input) && groups[groupOf.get(op.input)!]!.bytes === bytes) {
      join(op.output, groupOf.get(op.input)!);
      return;
    }
    if (op.kind === 'add' && inPlaceAdd) {
      const reusable = op.inputs
        .filter((id) => isActivation(graph, id))
        .map((id) => groupOf.get(id)!)
        .find((g) => groups[g]!.bytes === bytes && groups[g]!.last === step && !groups[g]!.holdsGraphOutput);
      if (reusable !== undefined) {
        join(op.output, reusable);
        return;
      }
    }
    open(op.output);
  });

  return {
    buffers: groups.map(({ tensors, bytes, first, last }) => ({ tensors, bytes, first, last })),
    bufferOf: groupOf,
  };
}
