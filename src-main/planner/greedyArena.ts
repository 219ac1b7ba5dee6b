/**
 * tflite-micro's GreedyMemoryPlanner behind the same three calls (add a buffer with its lifetime, plan,
 * read offsets and the peak): buffers are placed largest first, each at the lowest aligned offset that
 * overlaps no already placed buffer whose lifetime intersects its own. Largest first because big
 * buffers are the hardest to fit into holes; small ones then fill the gaps left between them.
 */

export interface ArenaPlacement {
  readonly offsets: readonly number[];
  readonly peakBytes: number;
}

/**
 * Offsets are multiples of `alignment` (default 4) because the C runtime reads int8 activations in
 * 32-bit words: GAP8's RV32 cores with the packed-SIMD extension load 4 int8 lanes with one aligned
 * `lw` (a misaligned one traps or splits), and Cortex-A72 NEON loads are fastest on aligned addresses.
 * tflite-micro uses 16; pass that when a port needs 128-bit alignment.
 */
export class GreedyArena {
  private readonly buffers: { bytes: number; first: number; last: number }[] = [];
  private placement: ArenaPlacement | undefined;

  constructor(private readonly alignment = 4) {
    if (!Number.isInteger(alignment) || alignment < 1) throw new RangeError(`arena alignment must be a positive integer, got ${alignment}`);
  }

  /** Returns the buffer's index for `offsetOf`. `first` and `last` are inclusive execution steps. */
  addBuffer(bytes: number, first: number, last: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`buffer size must be a non-negative integer, got ${bytes}`);
    if (!(Number.isInteger(first) && Number.isInteger(last) && first <= last)) throw new RangeError(`buffer lifetime [${first}, ${last}] is not a valid step range`);
    this.buffers.push({ bytes, first, last });
    this.placement = undefined;
    return this.buffers.length - 1;
  }

  plan(): ArenaPlacement {
    if (this.placement) return this.placement;
    const align = (n: number) => Math.ceil(n / this.alignment) * this.alignment;
    // Ties go to the earlier-born buffer, then to insertion order, so a plan is reproducible.
    const byPriority = this.buffers
      .map((b, index) => ({ ...b, index }))
      .sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.index - b.index);
    const offsets = new Array<number>(this.buffers.length).fill(0);
    const placed: { offset: number; end: number; first: number; last: number }[] = [];
    let peakBytes = 0;
    for (const buffer of byPriority) {
      const conflicts = placed
        .filter((p) => p.first <= buffer.last && buffer.first <= p.last && p.end > p.offset)
        .sort((a, b) => a.offset - b.offset);
      let offset = 0;
      if (buffer.bytes > 0) {
        for (const c of conflicts) {
          if (offset + buffer.bytes <= c.offset) break;
          offset = Math.max(offset, align(c.end));
        }
      }
      offsets[buffer.index] = offset;
      placed.push({ offset, end: offset + buffer.bytes, first: buffer.first, last: buffer.last });
      peakBytes = Math.max(peakBytes, offset + buffer.bytes);
    }
    this.placement = { offsets, peakBytes };
    return this.placement;
  }

  offsetOf(buffer: number): number {
    const offset = this.plan().offsets[buffer];
    if (offset === undefined) throw new RangeError(`no buffer ${buffer} in this arena`);
    return offset;
  }

  peakBytes(): number {
    return this.plan().peakBytes;
  }
}
