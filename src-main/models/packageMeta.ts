import { z } from 'zod';

/**
 * A model package is a folder: `model.json` (this schema) beside the files it names (the int8 ONNX model,
 * optionally the float model, the firmware blob and the int8 graph). Everything needed to compute the
 * same features at inference time and on a device travels with the model.
 */

export const audioFeatureParamsSchema = z.object({
  kind: z.literal('logMel'),
  sampleRate: z.number().int().positive(),
  windowMs: z.number().positive(),
  hopMs: z.number().positive(),
  fftSize: z.number().int().positive(),
  melBands: z.number().int().positive(),
  fMin: z.number().nonnegative(),
  fMax: z.number().positive(),
  frames: z.number().int().positive(),
  /** Frames below this level (dB relative to the loudest frame) are trimmed before crop/pad. */
  trimDb: z.number().optional(),
  logFloor: z.number().positive().optional(),
});
export type AudioFeatureParams = z.infer<typeof audioFeatureParamsSchema>;

export const frameFeatureParamsSchema = z.object({
  kind: z.literal('frame'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Physical range mapped to the model's input range, e.g. millimetres for depth, °C for thermal. */
  unit: z.enum(['mm', 'celsius']),
  min: z.number(),
  max: z.number(),
});
export type FrameFeatureParams = z.infer<typeof frameFeatureParamsSchema>;

export const modalitySchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['audio', 'depth', 'thermal']),
  /** What the person should do, shown in the capture guide (e.g. "Count from 1 to 20"). */
  instruction: z.string().optional(),
  durationSeconds: z.number().positive().optional(),
  inputShape: z.array(z.number().int().positive()).min(1),
  features: z.discriminatedUnion('kind', [audioFeatureParamsSchema, frameFeatureParamsSchema]),
});
export type ModalitySpec = z.infer<typeof modalitySchema>;

export const accuracyFigureSchema = z.object({
  metric: z.enum(['accuracy', 'balancedAccuracy']),
  value: z.number().min(0).max(1),
  std: z.number().nonnegative().optional(),
  variant: z.string().optional(),
  method: z.string().min(1),
  dataset: z.string().min(1),
});

export const memoryFitSchema = z.object({
  target: z.string(),
  level: z.string(),
  capacityBytes: z.number().int().positive(),
  fits: z.boolean(),
});

export const layerRowSchema = z.object({
  name: z.string(),
  op: z.string(),
  outputShape: z.array(z.number().int()),
  params: z.number().int().nonnegative(),
  weightBytes: z.number().int().nonnegative(),
  activationBytes: z.number().int().nonnegative(),
  macs: z.number().int().nonnegative().optional(),
});

export const paretoPointSchema = z.object({
  label: z.string(),
  bytes: z.number().nonnegative(),
  accuracy: z.number().min(0).max(1),
  chosen: z.boolean().default(false),
});

const int8QuantSchema = z.object({ scale: z.number().positive(), zeroPoint: z.number().int().min(-128).max(127) });

/** How the app turns features into the int8 model's inputs and its int8 logits back into numbers. */
export const int8IoSchema = z.object({
  inputs: z.array(int8QuantSchema.extend({ modality: z.string().min(1) })).min(1),
  logits: int8QuantSchema,
});
export type Int8Io = z.infer<typeof int8IoSchema>;

export const modelPackageMetaSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash and underscore'),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  task: z.object({
    kind: z.enum(['audio', 'pose']),
    description: z.string(),
    labels: z.array(z.string().min(1)).min(2),
  }),
  modalities: z.array(modalitySchema).min(1),
  files: z.object({
    int8Onnx: z.string(),
    floatOnnx: z.string().optional(),
    firmwareBlob: z.string().optional(),
    int8Graph: z.string().optional(),
    /** The float model's architecture description (model/architecture.ts), for retraining from this model. */
    architecture: z.string().optional(),
  }),
  int8: int8IoSchema.optional(),
  /** How the int8 weights were obtained, with the validation figures that decided it. */
  quantization: z
    .object({
      method: z.enum(['post-training', 'quantization-aware']),
      postTrainingValBalancedAccuracy: z.number().min(0).max(1),
      quantAwareValBalancedAccuracy: z.number().min(0).max(1).optional(),
    })
    .optional(),
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  accuracy: z.array(accuracyFigureSchema).default([]),
  memory: z.object({
    weightBytes: z.number().int().nonnegative(),
    peakActivationBytes: z.number().int().nonnegative(),
    scratchBytes: z.number().int().nonnegative().default(0),
    parameters: z.number().int().nonnegative().optional(),
    macs: z.number().int().nonnegative().optional(),
    fits: z.array(memoryFitSchema).default([]),
  }),
  layers: z.array(layerRowSchema).default([]),
  pareto: z.array(paretoPointSchema).default([]),
  provenance: z.object({
    dataset: z.string(),
    license: z.string().optional(),
    attribution: z.string().optional(),
    seed: z.number().int().optional(),
    recipe: z.string().optional(),
    codeVersion: z.string().optional(),
  }),
});
export type ModelPackageMeta = z.infer<typeof modelPackageMetaSchema>;
