import type { Int8Graph, TensorId } from '../graph/int8Graph';
import type { ArenaPlan } from './arenaPlan';
import { GreedyArena } from './greedyArena';
import { arenaBuffers, type ArenaBuffers, type InPlaceOptions } from './inPlace';

export interface PlacementOptions extends InPlaceOptions {
  /** Offset alignment in bytes (default 4, see GreedyArena). */
  readonly alignment?: number;
}

export interface PlacedArena extends ArenaPlan {
  readonly buffers: ArenaBuffers;
}

/** One execution order → every activation's offset: in-place merging, then greedy placement of the buffers. */
export function placeActivations(graph: Int8Graph, order: readonly number[], options: PlacementOptions = {}): PlacedArena {
  const buffers = arenaBuffers(graph, order, options);
  const arena = new GreedyArena(options.alignment ?? 4);
  for (const b of buffers.buffers) arena.addBuffer(b.bytes, b.first, b.last);
  const placement = arena.plan();
  const offsets = new Map<TensorId, number>();
  for (const [id, b] of buffers.bufferOf) offsets.set(id, placement.offsets[b]!);
  return { order: [...order], offsets, arenaBytes: placement.peakBytes, buffers };
}
