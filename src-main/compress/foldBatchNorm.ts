/**
 * Batch-norm folding: y = γ·(Wx − μ)/√(σ² + ε) + β becomes W'x + b' with W' = W·γ/√(σ² + ε) per output
 * channel and b' = β − μ·γ/√(σ² + ε). Done in float64 before quantization so the int8 weights are
 * quantized once, from the numbers the device actually multiplies by.
 *
 * Output layouts are the int8 graph's (TFLite): conv [outC, kH, kW, inC/groups], dense [out, in].
 */
import { allLayers, type BuiltArchitecture, type BuiltLayer } from '../model/architecture';
import { BATCH_NORM_EPSILON, type ModelWeights } from '../model/weights';

export interface FoldedConv {
  readonly layer: string;
  /** [outC, kH, kW, inC / groups]. */
  readonly weights: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bias: Float32Array;
  readonly groups: number;
}

export interface FoldedDense {
  readonly layer: string;
  /** [out, in]. */
  readonly weights: Float32Array;
  readonly shape: readonly [number, number];
  readonly bias: Float32Array;
}

/** Per layer name: a conv or dense layer folded; a separable layer folds into its two halves. */
export type FoldedLayer =
  | { readonly kind: 'conv2d'; readonly conv: FoldedConv }
  | { readonly kind: 'separableConv2d'; readonly depthwise: FoldedConv; readonly pointwise: FoldedConv }
  | { readonly kind: 'dense'; readonly dense: FoldedDense };

export type FoldedModel = ReadonlyMap<string, FoldedLayer>;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`foldBatchNorm: missing ${what}`);
  return value;
}

/** Per-channel (scale, shift) that replace batch-norm, or (1, bias) when the layer has a plain bias. */
function channelAffine(weights: ModelWeights, layer: BuiltLayer, channels: number): { scale: Float64Array; shift: Float64Array } {
  const p = need(weights.params[layer.name], `parameters of layer "${layer.name}"`);
  const scale = new Float64Array(channels).fill(1);
  const shift = new Float64Array(channels);
  if (p.gamma) {
    const s = need(weights.state[layer.name], `batch-norm statistics of layer "${layer.name}"`);
    const gamma = p.gamma;
    const beta = need(p.beta, `beta of layer "${layer.name}"`);
    const mean = need(s.mean, `running mean of layer "${layer.name}"`);
    const variance = need(s.variance, `running variance of layer "${layer.name}"`);
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c]! / Math.sqrt(variance[c]! + BATCH_NORM_EPSILON);
      shift[c] = beta[c]! - mean[c]! * scale[c]!;
    }
  } else {
    const bias = need(p.bias, `bias of layer "${layer.name}"`);
    for (let c = 0; c < channels; c++) shift[c] = bias[c]!;
  }
  return { scale, shift };
}

/** OIHW (training) → OHWI (int8 graph), multiplying output channel o by scale[o]. */
function oihwToOhwi(kernel: Float32Array, o: number, i: number, h: number, w: number, scale?: Float64Array): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let a = 0; a < o; a++) {
    const s = scale ? scale[a]! : 1;
    for (let c = 0; c < i; c++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((a * h + y) * w + x) * i + c] = kernel[((a * i + c) * h + y) * w + x]! * s;
  }
  return out;
}

export function foldBatchNorm(arch: BuiltArchitecture, weights: ModelWeights): FoldedModel {
  const folded = new Map<string, FoldedLayer>();
  for (const layer of allLayers(arch)) {
    const p = weights.params[layer.name];
    switch (layer.kind) {
      case 'conv2d': {
        const [o, i, h, w] = layer.paramShapes.kernel! as [number, number, number, number];
        const { scale, shift } = channelAffine(weights, layer, o);
        const kernel = need(p?.kernel, `kernel of layer "${layer.name}"`);
        folded.set(layer.name, {
          kind: 'conv2d',
          conv: { layer: layer.name, weights: oihwToOhwi(kernel, o, i, h, w, scale), shape: [o, h, w, i], bias: Float32Array.from(shift), groups: 1 },
        });
        break;
      }
      case 'separableConv2d': {
        const [mid, , h, w] = layer.paramShapes.depthwise! as [number, number, number, number];
        const [o] = layer.paramShapes.pointwise! as [number, number, number, number];
        const { scale, shift } = channelAffine(weights, layer, o);
        const depthwise = need(p?.depthwise, `depthwise kernel of layer "${layer.name}"`);
        const pointwise = need(p?.pointwise, `pointwise kernel of layer "${layer.name}"`);
        folded.set(layer.name, {
          kind: 'separableConv2d',
          depthwise: {
            layer: `${layer.name}/depthwise`,
            weights: oihwToOhwi(depthwise, mid, 1, h, w),
            shape: [mid, h, w, 1],
            bias: new Float32Array(mid),
            groups: layer.inShape[2]!,
          },
          pointwise: { layer: layer.name, weights: oihwToOhwi(pointwise, o, mid, 1, 1, scale), shape: [o, 1, 1, mid], bias: Float32Array.from(shift), groups: 1 },
        });
        break;
      }
      case 'dense': {
        const [inSize, units] = layer.paramShapes.kernel! as [number, number];
        const { scale, shift } = channelAffine(weights, layer, units);
        const kernel = need(p?.kernel, `kernel of layer "${layer.name}"`);
        const w = new Float32Array(inSize * units);
        for (let u = 0; u < units; u++) for (let k = 0; k < inSize; k++) w[u * inSize + k] = kernel[k * units + u]! * scale[u]!;
        folded.set(layer.name, { kind: 'dense', dense: { layer: layer.name, weights: w, shape: [units, inSize], bias: Float32Array.from(shift) } });
        break;
      }
      default:
        break;
    }
  }
  return folded;
}
