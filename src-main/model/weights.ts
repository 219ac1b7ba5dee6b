/**
 * A model's numbers as plain typed arrays, independent of the numeric engine: what training
 * produces, what gets saved, and what batch-norm folding and quantization read.
 *
 * Layouts are the training ones (see architecture.ts): conv kernels [outC, inC/groups, kH, kW],
 * dense kernels [in, out].
 */

/** layer name → parameter name → values. */
export type ParamTree = Record<string, Record<string, Float32Array>>;

export interface ModelWeights {
  /** Trainable: kernels, biases, batch-norm γ and β. */
  readonly params: ParamTree;
  /** Batch-norm running mean and variance. */
  readonly state: ParamTree;
}

/** Batch-norm epsilon, Keras' default; folding must use the same value as training. */
export const BATCH_NORM_EPSILON = 1e-3;

export function cloneWeights(w: ModelWeights): ModelWeights {
  const copy = (t: ParamTree): ParamTree =>
    Object.fromEntries(Object.entries(t).map(([layer, ps]) => [layer, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, v.slice()]))]));
  return { params: copy(w.params), state: copy(w.state) };
}
