/**
 * The int8 graph: the one contract between quantization (which produces it), the TypeScript
 * reference kernels (which define its integer math), the memory planner, the ONNX exporter,
 * the firmware blob writer and the C runtime.
 *
 * Conventions (TFLite's, so its reference kernels can be read side by side):
 * - Batch size 1, feature maps NHWC stored as [H, W, C]; vectors as [N].
 * - Activations: per-tensor asymmetric int8 (scale, zeroPoint in [-128, 127]).
 * - Weights: per-output-channel symmetric int8 (zeroPoint 0); conv weights are [outC, kH, kW, inC / groups]
 *   (depthwise = groups equal to inC, weights [inC * multiplier, kH, kW, 1]); dense weights are [out, in].
 * - Bias: int32 with scale = inputScale × weightScale[c], zeroPoint 0.
 * - Fused activations are stored as an int8 clamp range already mapped through the output quantization,
 *   so kernels never see floats.
 */

export type TensorId = number;

export interface QuantParams {
  /** One scale per tensor, or one per output channel for weights and biases. */
  readonly scales: readonly number[];
  readonly zeroPoint: number;
}

export interface Int8Tensor {
  readonly id: TensorId;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'int8' | 'int32';
  readonly quant: QuantParams;
  /** Present for constants (weights, biases); absent for activations, which live in the arena. */
  readonly data?: Int8Array | Int32Array;
}

/** Explicit padding in pixels: [top, left, bottom, right]. */
export type Padding4 = readonly [number, number, number, number];

export interface Conv2DOp {
  readonly kind: 'conv2d';
  readonly input: TensorId;
  readonly weights: TensorId;
  readonly bias: TensorId;
  readonly output: TensorId;
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
  /** 1 for an ordinary convolution, equal to the input channels for depthwise. */
  readonly groups: number;
  /** Fused activation as an int8 clamp [min, max] in the output's quantized domain. */
  readonly clamp: readonly [number, number];
}

export interface DenseOp {
  readonly kind: 'dense';
  readonly input: TensorId;
  readonly weights: TensorId;
  readonly bias: TensorId;
  readonly output: TensorId;
  readonly clamp: readonly [number, number];
}

export interface PoolOp {
  readonly kind: 'maxPool' | 'avgPool';
  readonly input: TensorId;
  readonly output: TensorId;
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
}

export interface GlobalAvgPoolOp {
  readonly kind: 'globalAvgPool';
  readonly input: TensorId;
  readonly output: TensorId;
}

export interface ConcatOp {
  readonly kind: 'concat';
  readonly inputs: readonly TensorId[];
  readonly output: TensorId;
}

export interface AddOp {
  readonly kind: 'add';
  readonly inputs: readonly [TensorId, TensorId];
  readonly output: TensorId;
  readonly clamp: readonly [number, number];
}

/** Same bytes, new shape (e.g. flatten before a dense layer); the planner may alias it in place. */
export interface ReshapeOp {
  readonly kind: 'reshape';
  readonly input: TensorId;
  readonly output: TensorId;
}

/** int8 softmax with TFLite's output convention (scale 1/256, zeroPoint -128). */
export interface SoftmaxOp {
  readonly kind: 'softmax';
  readonly input: TensorId;
  readonly output: TensorId;
}

export type Int8Op =
  | Conv2DOp
  | DenseOp
  | PoolOp
  | GlobalAvgPoolOp
  | ConcatOp
  | AddOp
  | ReshapeOp
  | SoftmaxOp;

export interface Int8Graph {
  readonly name: string;
  readonly tensors: readonly Int8Tensor[];
  /** Topologically ordered; the planner may pick another valid order of independent branches. */
  readonly ops: readonly Int8Op[];
  /** One input per modality, in the order of `modalities`. */
  readonly inputs: readonly TensorId[];
  readonly modalities: readonly string[];
  readonly outputs: readonly TensorId[];
}

export function tensorBytes(t: Int8Tensor): number {
  const elements = t.shape.reduce((a, b) => a * b, 1);
  return elements * (t.dtype === 'int8' ? 1 : 4);
}

export function opInputs(op: Int8Op): TensorId[] {
  switch (op.kind) {
    case 'conv2d':
    case 'dense':
      return [op.input, op.weights, op.bias];
    case 'concat':
    case 'add':
      return [...op.inputs];
    default:
      return [op.input];
  }
}
