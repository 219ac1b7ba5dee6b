/**
 * Uniform int8 quantization, TFLite-style: a trained float model (architecture + batch-norm-folded
 * weights + calibrated activation ranges) becomes an Int8Graph.
 *
 * - Weights: per-output-channel symmetric int8 in [−127, 127], zero point 0.
 * - Activations: per-tensor asymmetric int8 from the calibrated range (which always contains 0).
 * - Bias: int32 at scale inputScale × weightScale[c].
 * - ReLU / ReLU6 become an int8 clamp; pooling, global pooling and reshape keep their input's
 *   quantization (TFLite requires it for max pooling and it makes the others exact rescale-free copies).
 *
 * The graph's output is the int8 logits. Probabilities are computed from the dequantized logits:
 * a 1-LSB difference in a logit moves an int8 probability by many LSB, so agreement between the
 * reference, onnxruntime and the devices is defined on the logits.
 */
import { tensorBytes, type Int8Graph, type Int8Op, type Int8Tensor, type QuantParams, type TensorId } from '../graph/int8Graph';
import type { Activation, BuiltArchitecture } from '../model/architecture';
import type { CalibrationRanges, TensorRange } from './calibrate';
import type { FoldedConv, FoldedDense, FoldedModel } from './foldBatchNorm';

export class QuantizationError extends Error {
  override readonly name = 'QuantizationError';
}

/** Asymmetric int8 parameters covering [min, max] (widened to include 0). */
export function activationQuant(range: TensorRange): QuantParams {
  const min = Math.min(0, range.min);
  let max = Math.max(0, range.max);
  // A constant-zero tensor still needs a usable scale.
  if (max - min < 1e-8) max = min + 1e-8;
  const scale = (max - min) / 255;
  const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - min / scale)));
  return { scales: [scale], zeroPoint };
}

export function quantizeValue(x: number, q: QuantParams): number {
  const v = Math.round(x / q.scales[0]!) + q.zeroPoint;
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

export function quantizeTensorValues(values: Float32Array, q: QuantParams): Int8Array {
  const out = new Int8Array(values.length);
  const s = q.scales[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]! / s) + q.zeroPoint;
    out[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return out;
}

export function dequantizeValues(values: Int8Array, q: QuantParams): Float32Array {
  const out = new Float32Array(values.length);
  const s = q.scales[0]!;
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - q.zeroPoint) * s;
  return out;
}

/** Symmetric per-output-channel int8 weights: row c of `rows` values gets scale max|w|/127. */
export function quantizeWeightsPerChannel(weights: Float32Array, channels: number): { data: Int8Array; scales: number[] } {
  const per = weights.length / channels;
  const data = new Int8Array(weights.length);
  const scales: number[] = [];
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let i = 0; i < per; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[c * per + i]!));
    // An all-zero channel (a pruned filter) gets a harmless unit scale instead of a division by zero.
    const scale = maxAbs > 0 ? Math.fround(maxAbs / 127) : 1;
    scales.push(scale);
    for (let i = 0; i < per; i++) data[c * per + i] = Math.max(-127, Math.min(127, Math.round(weights[c * per + i]! / scale)));
  }
  return { data, scales };
}

function clampFor(activation: Activation, q: QuantParams): [number, number] {
  if (activation === 'none') return [-128, 127];
  const lo = Math.max(-128, q.zeroPoint);
  if (activation === 'relu') return [lo, 127];
  return [lo, Math.min(127, quantizeValue(6, q))];
}

class GraphBuilder {
  readonly tensors: Int8Tensor[] = [];
  readonly ops: Int8Op[] = [];

  tensor(name: string, shape: readonly number[], dtype: 'int8' | 'int32', quant: QuantParams, data?: Int8Array | Int32Array): TensorId {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: [...shape], dtype, quant, ...(data ? { data } : {}) });
    return id;
  }

  quantOf(id: TensorId): QuantParams {
    return this.tensors[id]!.quant;
  }

  shapeOf(id: TensorId): readonly number[] {
    return this.tensors[id]!.shape;
  }

  weightsAndBias(name: string, w: FoldedConv | FoldedDense, input: TensorId): { weights: TensorId; bias: TensorId } {
    const channels = w.shape[0];
    const q = quantizeWeightsPerChannel(w.weights, channels);
    const inScale = Math.fround(this.quantOf(input).scales[0]!);
    const biasScales = q.scales.map((s) => s * inScale);
    const bias = Int32Array.from(w.bias, (b, c) => {
      const v = Math.round(b / biasScales[c]!);
      if (Math.abs(v) > 2 ** 31 - 1) throw new QuantizationError(`layer "${name}": bias ${b} does not fit int32 at scale ${biasScales[c]}`);
      return v;
    });
    return {
      weights: this.tensor(`${name}/weights`, w.shape, 'int8', { scales: q.scales, zeroPoint: 0 }, q.data),
      bias: this.tensor(`${name}/bias`, [channels], 'int32', { scales: biasScales, zeroPoint: 0 }, bias),
    };
  }
}

export interface QuantizeOptions {
  /** Appends TFLite's int8 softmax after the logits (scale 1/256, zero point −128), for devices that report probabilities. */
  readonly withSoftmax?: boolean;
}

export function quantizeModel(arch: BuiltArchitecture, folded: FoldedModel, ranges: CalibrationRanges, options: QuantizeOptions = {}): Int8Graph {
  const g = new GraphBuilder();
  const range = (name: string): TensorRange => {
    const r = ranges.get(name);
    if (!r) throw new QuantizationError(`no calibration range for tensor "${name}"`);
    return r;
  };
  const inputs: TensorId[] = [];
  const flats: TensorId[] = [];

  for (const branch of arch.branches) {
    let x = g.tensor(`${branch.modality}/input`, branch.input, 'int8', activationQuant(range(`${branch.modality}/input`)));
    inputs.push(x);
    for (const layer of branch.layers) {
      switch (layer.kind) {
        case 'conv2d':
        case 'separableConv2d': {
          const f = folded.get(layer.name);
          if (!f || (f.kind !== 'conv2d' && f.kind !== 'separableConv2d')) throw new QuantizationError(`layer "${layer.name}" was not folded`);
          if (f.kind === 'separableConv2d' && layer.kind === 'separableConv2d') {
            const dq = activationQuant(range(`${layer.name}/depthwise`));
            const dw = g.weightsAndBias(f.depthwise.layer, f.depthwise, x);
            const mid = g.tensor(`${layer.name}/depthwise`, layer.depthwiseShape, 'int8', dq);
            g.ops.push({ kind: 'conv2d', input: x, ...dw, output: mid, stride: layer.spec.stride, padding: layer.pads, groups: f.depthwise.groups, clamp: [-128, 127] });
            x = mid;
          }
          const conv = f.kind === 'conv2d' ? f.conv : f.pointwise;
          const oq = activationQuant(range(layer.name));
          const wb = g.weightsAndBias(layer.name, conv, x);
          const out = g.tensor(layer.name, layer.outShape, 'int8', oq);
          const isPointwise = f.kind === 'separableConv2d';
          g.ops.push({
            kind: 'conv2d',
            input: x,
            ...wb,
            output: out,
            stride: isPointwise ? [1, 1] : layer.spec.stride,
            padding: isPointwise ? [0, 0, 0, 0] : layer.pads,
            groups: 1,
            clamp: clampFor(layer.spec.activation, oq),
          });
          x = out;
          break;
        }
        case 'maxPool':
        case 'avgPool': {
          const out = g.tensor(layer.name, layer.outShape, 'int8', g.quantOf(x));
          g.ops.push({ kind: layer.kind, input: x, output: out, size: layer.size, stride: layer.stride, padding: [0, 0, 0, 0] });
          x = out;
          break;
        }
        case 'globalAvgPool': {
          const c = layer.outShape[0]!;
          const out = g.tensor(`${layer.name}/pooled`, [1, 1, c], 'int8', g.quantOf(x));
          g.ops.push({ kind: 'globalAvgPool', input: x, output: out });
          x = out;
          break;
        }
      }
    }
    // Flatten in NHWC order, as the training graph does before the fusion.
    const flat = g.tensor(`${branch.modality}/flat`, [branch.outputSize], 'int8', g.quantOf(x));
    g.ops.push({ kind: 'reshape', input: x, output: flat });
    flats.push(flat);
  }

  let x: TensorId;
  if (flats.length === 1) {
    x = flats[0]!;
  } else {
    x = g.tensor('fusion', [arch.fusionSize], 'int8', activationQuant(range('fusion')));
    g.ops.push({ kind: 'concat', inputs: flats, output: x });
  }
  for (const layer of arch.head) {
    const f = folded.get(layer.name);
    if (!f || f.kind !== 'dense') throw new QuantizationError(`layer "${layer.name}" was not folded`);
    const oq = activationQuant(range(layer.name));
    const wb = g.weightsAndBias(layer.name, f.dense, x);
    const out = g.tensor(layer.name, layer.outShape, 'int8', oq);
    g.ops.push({ kind: 'dense', input: x, ...wb, output: out, clamp: clampFor(layer.spec.activation, oq) });
    x = out;
  }
  if (options.withSoftmax) {
    const probs = g.tensor('probabilities', [arch.spec.classes], 'int8', { scales: [1 / 256], zeroPoint: -128 });
    g.ops.push({ kind: 'softmax', input: x, output: probs });
    x = probs;
  }
  return { name: arch.spec.name, tensors: g.tensors, ops: g.ops, inputs, modalities: arch.branches.map((b) => b.modality), outputs: [x] };
}

/** int8 weight + int32 bias bytes: what the model costs in memory besides its activations. */
export function constantBytes(graph: Int8Graph): number {
  return graph.tensors.filter((t) => t.data).reduce((s, t) => s + tensorBytes(t), 0);
}
