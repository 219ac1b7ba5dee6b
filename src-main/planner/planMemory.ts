/**
 * The memory plan of an int8 graph: execution order, arena offsets (the ArenaPlan the firmware blob
 * writer and the C runtime read) and the byte counts the memory report and the target fit need.
 */
import { tensorBytes, type Int8Graph } from '../graph/int8Graph';
import { prepareOp, type PreparedOp } from '../kernels/prepareOp';
import type { ArenaPlan } from './arenaPlan';
import { bestExecutionOrder, type OrderSearchOptions } from './executionOrder';
import type { ArenaBuffers } from './inPlace';
import { placeActivations, type PlacementOptions } from './placeActivations';

/** One row of the per-layer memory table, in execution order. */
export interface OpMemory {
  readonly step: number;
  readonly opIndex: number;
  readonly kind: string;
  /** Name of the tensor the op writes. */
  readonly output: string;
  /** Bytes of activations that must be resident while this op runs (its inputs, its output and everything still awaited). */
  readonly liveBytes: number;
}

export interface MemoryPlan extends ArenaPlan {
  /** Every constant tensor: int8 weights and int32 biases, as stored. */
  readonly weightBytes: number;
  /** Requantization multipliers and shifts the device stores beside the weights (see quantParamBytes). */
  readonly quantParamBytes: number;
  /** = arenaBytes: the activation arena as placed. */
  readonly peakActivationBytes: number;
  /** Max over steps of the bytes live at that step (aliased tensors counted once): no placement can use less. */
  readonly lowerBoundBytes: number;
  /** Every activation in its own bytes, no reuse: what planning saves against. */
  readonly naiveActivationBytes: number;
  /**
   * Per-op scratch beyond the arena. 0 for our kernels: conv2d reads the input directly and skips padded
   * taps (no im2col buffer), softmax and pooling keep their sums in registers, nothing allocates.
   */
  readonly scratchBytes: number;
  readonly perOp: readonly OpMemory[];
  /** Which tensors share bytes (reshape and in-place add aliases) and each buffer's lifetime. */
  readonly buffers: ArenaBuffers;
}

export interface PlanOptions extends PlacementOptions, OrderSearchOptions {
  /** Search branch orders for a smaller arena (default true); false keeps the graph's own order. */
  readonly searchOrder?: boolean;
}

const INT32_BYTES = 4;

/**
 * Multipliers and shifts counted as int32 each, as requant.ts produces them and TFLite stores its
 * per-channel arrays: conv2d/dense one pair per output channel, pooling one pair, concat one pair per
 * input, add three pairs (two inputs and the output; the left shift is a constant), softmax one pair.
 * Zero points, clamps and shapes are op header fields, not counted here.
 */
export function quantParamBytes(prepared: PreparedOp): number {
  const pair = 2 * INT32_BYTES;
  switch (prepared.kind) {
    case 'conv2d':
    case 'dense':
      return pair * prepared.params.requant.multipliers.length;
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'softmax':
      return pair;
    case 'concat':
      return pair * prepared.params.rescales.length;
    case 'add':
      return 3 * pair;
    case 'reshape':
      return 0;
  }
}

export function planMemory(graph: Int8Graph, options: PlanOptions = {}): MemoryPlan {
  const natural = graph.ops.map((_, i) => i);
  const order =
    options.searchOrder === false ? natural : bestExecutionOrder(graph, (o) => placeActivations(graph, o, options).arenaBytes, options).order;
  const placed = placeActivations(graph, order, options);

  const steps = Math.max(order.length, 1);
  const live = new Array<number>(steps).fill(0);
  for (const b of placed.buffers.buffers) for (let s = b.first; s <= b.last; s++) live[s]! += b.bytes;

  const weightBytes = graph.tensors.filter((t) => t.data !== undefined).reduce((sum, t) => sum + tensorBytes(t), 0);
  const naiveActivationBytes = graph.tensors.filter((t) => t.data === undefined).reduce((sum, t) => sum + tensorBytes(t), 0);
  const quantBytes = graph.ops.reduce((sum, op) => sum + quantParamBytes(prepareOp(graph, op)), 0);

  return {
    order: placed.order,
    offsets: placed.offsets,
    arenaBytes: placed.arenaBytes,
    weightBytes,
    quantParamBytes: quantBytes,
    peakActivationBytes: placed.arenaBytes,
    lowerBoundBytes: Math.max(...live),
    naiveActivationBytes,
    scratchBytes: 0,
    perOp: order.map((opIndex, step) => {
      const op = graph.ops[opIndex]!;
      return { step, opIndex, kind: op.kind, output: graph.tensors[op.output]!.name, liveBytes: live[step]! };
    }),
    buffers: placed.buffers,
  };
}
