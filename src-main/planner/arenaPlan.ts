import type { TensorId } from '../graph/int8Graph';

/**
 * Where every activation of an Int8Graph lives in one arena, and in which order the ops run. The
 * memory planner produces it; the firmware blob writer, the C runtime and the memory report read it.
 * Constants (weights, biases) are not in the arena: they stay in the blob.
 */
export interface ArenaPlan {
  /** Indices into `graph.ops`, in execution order (a valid topological order). */
  readonly order: readonly number[];
  /** Byte offset in the arena of every activation tensor: graph inputs, intermediates and outputs. */
  readonly offsets: ReadonlyMap<TensorId, number>;
  /** Arena size in bytes: the peak of live activations as placed (≥ the true lower bound). */
  readonly arenaBytes: number;
}
