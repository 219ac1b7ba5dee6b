import { z } from 'zod';
import { relativeFileNameSchema, relativeNameProblem } from '../storage/relativeName';

/**
 * A model package is a folder: `model.json` (this schema) beside the files it names (the int8 ONNX model,
 * optionally the float model, the firmware blob and the int8 graph). Everything needed to compute the
 * same features at inference time and on a device travels with the model.
 */

/*
 * Upper bounds on sizes a package sets: a package may come from anywhere, and these size the buffers
 * features are computed in. Each is far above any model this app makes (16 kHz, 1024-point FFT, 64 bands,
 * a few hundred frames, 160 × 120 frames) and far below what would hurt the machine. The sample-rate range
 * is the WAV reader's (audio/wavDecode.ts WAV_LIMITS), written out here to keep this schema free of the
 * audio layer.
 */
export const audioFeatureParamsSchema = z.object({
  kind: z.literal('logMel'),
  sampleRate: z.number().int().min(4000).max(384000),
  windowMs: z.number().positive().max(1000),
  hopMs: z.number().positive().max(1000),
  fftSize: z.number().int().positive().max(65536),
  melBands: z.number().int().positive().max(512),
  fMin: z.number().nonnegative(),
  fMax: z.number().positive(),
  frames: z.number().int().positive().max(10000),
  /** Frames below this level (dB relative to the loudest frame) are trimmed before crop/pad. */
  trimDb: z.number().optional(),
  logFloor: z.number().positive().optional(),
});
export type AudioFeatureParams = z.infer<typeof audioFeatureParamsSchema>;

export const frameFeatureParamsSchema = z.object({
  kind: z.literal('frame'),
  width: z.number().int().positive().max(4096),
  height: z.number().int().positive().max(4096),
  /** Physical range mapped to the model's input range, e.g. millimetres for depth, °C for thermal. */
  unit: z.enum(['mm', 'celsius']),
  min: z.number(),
  max: z.number(),
});
export type FrameFeatureParams = z.infer<typeof frameFeatureParamsSchema>;

/** 4 M values (16 MB as float32): far above any tiny model's input (the bundled ones take at most 4 096). */
export const MAX_INPUT_ELEMENTS = 4 * 1024 * 1024;

export const modalitySchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['audio', 'depth', 'thermal']),
  /** What the person should do, shown in the capture guide (e.g. "Count from 1 to 20"). */
  instruction: z.string().optional(),
  durationSeconds: z.number().positive().optional(),
  inputShape: z.array(z.number().int().positive().max(65536)).min(1).max(8),
  features: z.discriminatedUnion('kind', [audioFeatureParamsSchema, frameFeatureParamsSchema]),
}).superRefine((m, ctx) => {
  // The shape sizes the input buffers on the Screen page, in the golden input and on a Pi: it must be what
  // the features produce (so one bounded feature size bounds it), never a free number from the package.
  const elements = m.inputShape.reduce((a, b) => a * b, 1);
  const features = m.features.kind === 'logMel' ? m.features.frames * m.features.melBands : m.features.width * m.features.height;
  if (elements > MAX_INPUT_ELEMENTS) {
    ctx.addIssue({ code: 'custom', path: ['inputShape'], message: `${m.inputShape.join(' × ')} is ${elements} values, more than the ${MAX_INPUT_ELEMENTS} a model input may have` });
  } else if (elements !== features) {
    const what = m.features.kind === 'logMel' ? `${m.features.frames} frames × ${m.features.melBands} mel bands` : `${m.features.height} × ${m.features.width} pixels`;
    ctx.addIssue({ code: 'custom', path: ['inputShape'], message: `${m.inputShape.join(' × ')} does not match the features (${what})` });
  }
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

/**
 * The SHA-256 table is keyed by file name. Its keys are names from inside the package like `files.*`, so
 * they obey the same rule; zod's own record-key error says only "Invalid key", hence the refinement.
 */
const sha256TableSchema = z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).superRefine((table, ctx) => {
  for (const name of Object.keys(table)) {
    const problem = relativeNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: `key '${name.slice(0, 80)}' must be a file name inside the package folder: it ${problem}` });
  }
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
  // The id names the installed folder (plus a staging suffix), so it stays well inside a file name's 255 bytes.
  id: z
    .string()
    .max(100, 'at most 100 characters')
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash and underscore'),

  name: z.string().min(1),
  version: z.string().min(1).max(100),
  createdAt: z.string(),
  task: z.object({
    kind: z.enum(['audio', 'pose']),
    description: z.string(),
    labels: z.array(z.string().min(1)).min(2),
  }),
  modalities: z.array(modalitySchema).min(1),
  /**
   * Names of the package's files, relative to its folder. They come from whoever wrote the package, so a
   * name that climbs out ('../x'), is absolute or is a Windows path is refused here, before any file
   * access; readers still resolve them with `resolveInside`, which also sees symbolic links.
   */
  files: z.object({
    int8Onnx: relativeFileNameSchema,
    floatOnnx: relativeFileNameSchema.optional(),
    firmwareBlob: relativeFileNameSchema.optional(),
    int8Graph: relativeFileNameSchema.optional(),
    /** The float model's architecture description (model/architecture.ts), for retraining from this model. */
    architecture: relativeFileNameSchema.optional(),
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
  sha256: sha256TableSchema.optional(),
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
