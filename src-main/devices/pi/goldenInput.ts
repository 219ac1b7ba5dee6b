import type { ModelPackageMeta } from '../../models/packageMeta';
import { seededRandom } from '../../train/random';

/**
 * The same int8 inputs on both sides of a deploy check: seeded, covering the whole int8 range, one per
 * modality in the model's order. Same model + same runtime + same inputs must give the same integers.
 */
export function goldenInputs(meta: ModelPackageMeta, seed = 20260413): Int8Array[] {
  const r = seededRandom(seed);
  return meta.modalities.map((m) => Int8Array.from({ length: m.inputShape.reduce((a, b) => a * b, 1) }, () => r.int(256) - 128));
}
