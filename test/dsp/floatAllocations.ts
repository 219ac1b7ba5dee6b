/**
 * What the sample buffers of a piece of synchronous work cost, measured structurally rather than by the
 * clock or the process's resident memory (both move with whatever else a loaded CI machine runs): every
 * `new Float32Array(…)` / `new Float64Array(…)` made while `work` runs is recorded, and one larger than
 * `refuseOverBytes` is refused before it is made, so a regression that would allocate gigabytes fails
 * at once with a clear message instead of swapping the machine.
 *
 * It sees code that names the global constructors when it runs (the app's DSP and WAV code does); a
 * library that kept its own reference at load time is not seen.
 */

const TYPES = ['Float32Array', 'Float64Array'] as const;

export class AllocationRefused extends Error {
  override readonly name = 'AllocationRefused';
}

export interface FloatAllocations<T> {
  readonly outcome: { readonly value: T } | { readonly error: unknown };
  /** The largest buffer asked for, in bytes (0 when none was). */
  readonly largestBytes: number;
  /** Every buffer asked for, in bytes, in order. */
  readonly sizes: readonly number[];
}

function requestedLength(args: readonly unknown[]): number {
  const [first] = args;
  if (typeof first === 'number') return first;
  if (first instanceof ArrayBuffer || first instanceof SharedArrayBuffer) return 0; // a view on memory that already exists
  if (first && typeof first === 'object' && 'length' in first && typeof first.length === 'number') return first.length;
  return 0;
}

export function floatAllocations<T>(work: () => T, refuseOverBytes = 64 * 1024 * 1024): FloatAllocations<T> {
  const g = globalThis as unknown as Record<string, unknown>;
  const originals = TYPES.map((name) => [name, g[name]] as const);
  const sizes: number[] = [];
  for (const [name, original] of originals) {
    const ctor = original as Float32ArrayConstructor | Float64ArrayConstructor;
    g[name] = new Proxy(ctor, {
      construct(target, args) {
        const bytes = requestedLength(args) * target.BYTES_PER_ELEMENT;
        sizes.push(bytes);
        if (bytes > refuseOverBytes) throw new AllocationRefused(`new ${name}(${requestedLength(args)}) asked for ${(bytes / 1024 / 1024).toFixed(0)} MB, over the ${(refuseOverBytes / 1024 / 1024).toFixed(0)} MB this test allows`);
        return Reflect.construct(target, args) as object;
      },
    });
  }
  try {
    let outcome: FloatAllocations<T>['outcome'];
    try {
      outcome = { value: work() };
    } catch (error) {
      outcome = { error };
    }
    return { outcome, largestBytes: Math.max(0, ...sizes), sizes };
  } finally {
    for (const [name, original] of originals) g[name] = original;
  }
}
