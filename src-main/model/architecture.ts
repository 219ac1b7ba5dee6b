/**
 * The multimodal model description (TinyM²Net-V3): one CNN branch per modality, the branch outputs
 * flattened and concatenated, then dense layers and a softmax over the classes.
 *
 * Batch-norm and the activation are attributes of the conv/dense layer they follow rather than
 * layers of their own: every description is then foldable and int8-quantizable by construction
 * (the Int8Graph has no standalone activation or batch-norm op).
 *
 * Shapes are NHWC without the batch axis, [H, W, C]; for audio H = frames and W = mel bands.
 */
import { z } from 'zod';

const pair = z.tuple([z.number().int().positive(), z.number().int().positive()]);
const activation = z.enum(['none', 'relu', 'relu6']);
const padding = z.enum(['same', 'valid']);

const conv2dSchema = z.object({
  kind: z.literal('conv2d'),
  name: z.string().min(1).optional(),
  filters: z.number().int().positive(),
  kernel: pair,
  stride: pair.default([1, 1]),
  padding: padding.default('same'),
  batchNorm: z.boolean().default(true),
  activation: activation.default('relu'),
});

/** Depthwise (kernel, stride) then pointwise 1×1 to `filters`, as Keras' SeparableConv2D. */
const separableConv2dSchema = z.object({
  kind: z.literal('separableConv2d'),
  name: z.string().min(1).optional(),
  filters: z.number().int().positive(),
  kernel: pair,
  stride: pair.default([1, 1]),
  padding: padding.default('same'),
  depthMultiplier: z.number().int().positive().default(1),
  batchNorm: z.boolean().default(true),
  activation: activation.default('relu'),
});

/** Pooling windows are unpadded: the int8 kernels and jax-js' reduceWindow agree on that case only. */
const poolSchema = z.object({
  kind: z.enum(['maxPool', 'avgPool']),
  name: z.string().min(1).optional(),
  size: pair,
  stride: pair.optional(),
});

const globalAvgPoolSchema = z.object({
  kind: z.literal('globalAvgPool'),
  name: z.string().min(1).optional(),
});

const denseSchema = z.object({
  kind: z.literal('dense'),
  name: z.string().min(1).optional(),
  units: z.number().int().positive(),
  batchNorm: z.boolean().default(false),
  activation: activation.default('relu'),
});

export const branchLayerSchema = z.discriminatedUnion('kind', [
  conv2dSchema,
  separableConv2dSchema,
  poolSchema,
  globalAvgPoolSchema,
]);

export const modalitySchema = z.object({
  name: z.string().min(1).regex(/^[^/]+$/, 'modality names may not contain "/"'),
  /** [H, W, C]: frames × mel bands × 1 for audio, rows × columns × channels for images. */
  input: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  layers: z.array(branchLayerSchema),
});

export const architectureSchema = z.object({
  name: z.string().min(1),
  modalities: z.array(modalitySchema).min(1),
  /** Hidden dense layers after the fusion; the logits layer (`classes` units, no activation) is implied. */
  head: z.array(denseSchema).default([]),
  classes: z.number().int().min(2),
});

export type Activation = z.infer<typeof activation>;
export type Padding = z.infer<typeof padding>;
export type Conv2DSpec = z.infer<typeof conv2dSchema>;
export type SeparableConv2DSpec = z.infer<typeof separableConv2dSchema>;
export type PoolSpec = z.infer<typeof poolSchema>;
export type GlobalAvgPoolSpec = z.infer<typeof globalAvgPoolSchema>;
export type DenseSpec = z.infer<typeof denseSchema>;
export type BranchLayerSpec = z.infer<typeof branchLayerSchema>;
export type ModalitySpec = z.infer<typeof modalitySchema>;
/** What a caller writes (defaults may be left out). */
export type ArchitectureInput = z.input<typeof architectureSchema>;
/** After validation, with defaults filled in. */
export type Architecture = z.infer<typeof architectureSchema>;

export type Shape3 = readonly [number, number, number];

/** A parameter's shape in the training layout (conv kernels OIHW as jax-js wants them, dense [in, out]). */
export type ParamShapes = Readonly<Record<string, readonly number[]>>;

interface BuiltLayerBase {
  /** Unique across the model: `<modality>/<layer>` in branches, `head/<layer>` after the fusion. */
  readonly name: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /** Trainable parameters (batch-norm γ, β included; running statistics are not). */
  readonly params: number;
  /** Multiply-accumulates for one sample; pooling counts none. */
  readonly macs: number;
  readonly paramShapes: ParamShapes;
  /** Batch-norm running mean/variance, which are state rather than trainable parameters. */
  readonly stateShapes: ParamShapes;
}

export interface BuiltConv2D extends BuiltLayerBase {
  readonly kind: 'conv2d';
  readonly spec: Conv2DSpec;
  /** [top, left, bottom, right], TensorFlow's SAME convention (extra pixel at the bottom/right). */
  readonly pads: readonly [number, number, number, number];
}
export interface BuiltSeparableConv2D extends BuiltLayerBase {
  readonly kind: 'separableConv2d';
  readonly spec: SeparableConv2DSpec;
  readonly pads: readonly [number, number, number, number];
  /** Output of the depthwise half, which is its own tensor in the int8 graph. */
  readonly depthwiseShape: readonly number[];
}
export interface BuiltPool extends BuiltLayerBase {
  readonly kind: 'maxPool' | 'avgPool';
  readonly spec: PoolSpec;
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
}
export interface BuiltGlobalAvgPool extends BuiltLayerBase {
  readonly kind: 'globalAvgPool';
  readonly spec: GlobalAvgPoolSpec;
}
export interface BuiltDense extends BuiltLayerBase {
  readonly kind: 'dense';
  readonly spec: DenseSpec;
}

export type BuiltBranchLayer = BuiltConv2D | BuiltSeparableConv2D | BuiltPool | BuiltGlobalAvgPool;
export type BuiltLayer = BuiltBranchLayer | BuiltDense;

export interface BuiltBranch {
  readonly modality: string;
  readonly input: Shape3;
  readonly layers: readonly BuiltBranchLayer[];
  /** Elements the branch contributes to the fusion (its last output flattened in NHWC order). */
  readonly outputSize: number;
}

export interface BuiltArchitecture {
  readonly spec: Architecture;
  readonly branches: readonly BuiltBranch[];
  readonly fusionSize: number;
  /** Hidden dense layers then the logits layer (named `head/logits`). */
  readonly head: readonly BuiltDense[];
  readonly params: number;
  readonly macs: number;
}

export class ArchitectureError extends Error {
  constructor(
    readonly layer: string,
    message: string,
  ) {
    super(`layer "${layer}": ${message}`);
    this.name = 'ArchitectureError';
  }
}

/** Output size and TensorFlow-style padding for one spatial axis. */
function axisGeometry(size: number, kernel: number, stride: number, pad: Padding, layer: string, axis: string) {
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  }
  if (kernel > size) {
    throw new ArchitectureError(layer, `kernel ${kernel} is larger than the input ${axis} ${size} with valid padding`);
  }
  return { out: Math.floor((size - kernel) / stride) + 1, before: 0, after: 0 };
}

function requireFeatureMap(shape: readonly number[], layer: string, kind: string): Shape3 {
  if (shape.length !== 3) {
    throw new ArchitectureError(layer, `${kind} needs a [H, W, C] input but gets [${shape.join(', ')}]`);
  }
  return [shape[0]!, shape[1]!, shape[2]!];
}

function batchNormShapes(use: boolean, channels: number): { params: Record<string, number[]>; state: Record<string, number[]> } {
  return {
    params: use ? { gamma: [channels], beta: [channels] } : { bias: [channels] },
    state: use ? { mean: [channels], variance: [channels] } : {},
  };
}

function count(shapes: ParamShapes): number {
  return Object.values(shapes).reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
}

function buildBranchLayer(spec: BranchLayerSpec, name: string, inShape: readonly number[]): BuiltBranchLayer {
  switch (spec.kind) {
    case 'conv2d': {
      const [h, w, c] = requireFeatureMap(inShape, name, 'conv2d');
      const gh = axisGeometry(h, spec.kernel[0], spec.stride[0], spec.padding, name, 'height');
      const gw = axisGeometry(w, spec.kernel[1], spec.stride[1], spec.padding, name, 'width');
      const bn = batchNormShapes(spec.batchNorm, spec.filters);
      const paramShapes = { kernel: [spec.filters, c, spec.kernel[0], spec.kernel[1]], ...bn.params };
      return {
        kind: 'conv2d',
        name,
        spec,
        inShape,
        outShape: [gh.out, gw.out, spec.filters],
        pads: [gh.before, gw.before, gh.after, gw.after],
        paramShapes,
        stateShapes: bn.state,
        params: count(paramShapes),
        macs: gh.out * gw.out * spec.filters * spec.kernel[0] * spec.kernel[1] * c,
      };
    }
    case 'separableConv2d': {
      const [h, w, c] = requireFeatureMap(inShape, name, 'separableConv2d');
      const gh = axisGeometry(h, spec.kernel[0], spec.stride[0], spec.padding, name, 'height');
      const gw = axisGeometry(w, spec.kernel[1], spec.stride[1], spec.padding, name, 'width');
      const mid = c * spec.depthMultiplier;
      const bn = batchNormShapes(spec.batchNorm, spec.filters);
      const paramShapes = {
        depthwise: [mid, 1, spec.kernel[0], spec.kernel[1]],
        pointwise: [spec.filters, mid, 1, 1],
        ...bn.params,
      };
      const pixels = gh.out * gw.out;
      return {
        kind: 'separableConv2d',
        name,
        spec,
        inShape,
        outShape: [gh.out, gw.out, spec.filters],
        depthwiseShape: [gh.out, gw.out, mid],
        pads: [gh.before, gw.before, gh.after, gw.after],
        paramShapes,
        stateShapes: bn.state,
        params: count(paramShapes),
        macs: pixels * mid * spec.kernel[0] * spec.kernel[1] + pixels * mid * spec.filters,
      };
    }
    case 'maxPool':
    case 'avgPool': {
      const [h, w, c] = requireFeatureMap(inShape, name, spec.kind);
      const stride = spec.stride ?? spec.size;
      const gh = axisGeometry(h, spec.size[0], stride[0], 'valid', name, 'height');
      const gw = axisGeometry(w, spec.size[1], stride[1], 'valid', name, 'width');
      return {
        kind: spec.kind,
        name,
        spec,
        inShape,
        outShape: [gh.out, gw.out, c],
        size: spec.size,
        stride,
        paramShapes: {},
        stateShapes: {},
        params: 0,
        macs: 0,
      };
    }
    case 'globalAvgPool': {
      const [, , c] = requireFeatureMap(inShape, name, 'globalAvgPool');
      return { kind: 'globalAvgPool', name, spec, inShape, outShape: [c], paramShapes: {}, stateShapes: {}, params: 0, macs: 0 };
    }
  }
}

function buildDense(spec: DenseSpec, name: string, inSize: number): BuiltDense {
  const bn = batchNormShapes(spec.batchNorm, spec.units);
  const paramShapes = { kernel: [inSize, spec.units], ...bn.params };
  return {
    kind: 'dense',
    name,
    spec,
    inShape: [inSize],
    outShape: [spec.units],
    paramShapes,
    stateShapes: bn.state,
    params: count(paramShapes),
    macs: inSize * spec.units,
  };
}

/** Validates a description and infers every layer's shapes, parameters and MACs. Throws naming the layer. */
export function buildArchitecture(input: ArchitectureInput): BuiltArchitecture {
  const parsed = architectureSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArchitectureError(issue.path.join('.') || 'architecture', issue.message);
  }
  const spec = parsed.data;
  const names = new Set<string>();
  const claim = (name: string) => {
    if (names.has(name)) throw new ArchitectureError(name, 'the name is used twice');
    names.add(name);
    return name;
  };

  const branches: BuiltBranch[] = spec.modalities.map((modality) => {
    claim(modality.name);
    let shape: readonly number[] = modality.input;
    const layers = modality.layers.map((layerSpec, i) => {
      const name = claim(`${modality.name}/${layerSpec.name ?? `${layerSpec.kind}_${i}`}`);
      const built = buildBranchLayer(layerSpec, name, shape);
      shape = built.outShape;
      return built;
    });
    return { modality: modality.name, input: modality.input, layers, outputSize: shape.reduce((a, b) => a * b, 1) };
  });

  const fusionSize = branches.reduce((sum, b) => sum + b.outputSize, 0);
  let width = fusionSize;
  const head = spec.head.map((denseSpec, i) => {
    const built = buildDense(denseSpec, claim(`head/${denseSpec.name ?? `dense_${i}`}`), width);
    width = built.spec.units;
    return built;
  });
  head.push(buildDense({ kind: 'dense', units: spec.classes, batchNorm: false, activation: 'none' }, claim('head/logits'), width));

  const all: BuiltLayer[] = [...branches.flatMap((b) => b.layers), ...head];
  return {
    spec,
    branches,
    fusionSize,
    head,
    params: all.reduce((s, l) => s + l.params, 0),
    macs: all.reduce((s, l) => s + l.macs, 0),
  };
}

/** Every layer in execution order: branch by branch, then the head. */
export function allLayers(arch: BuiltArchitecture): BuiltLayer[] {
  return [...arch.branches.flatMap((b) => b.layers), ...arch.head];
}
