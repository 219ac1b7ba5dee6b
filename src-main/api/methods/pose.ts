/** The Pose screen: depth + thermal frame pairs classified by a pose model. */
import { z } from 'zod';
import type { MethodGroup } from './group';

/** Largest frame file a person may load: a 640×480 16-bit PNG is about 600 KB, so 5 MB is generous. */
export const MAX_FRAME_BYTES = 5 * 1024 * 1024;
const MAX_FRAME_BASE64 = 4 * Math.ceil(MAX_FRAME_BYTES / 3);

export const frameIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a frame id as returned by pose.uploadFrame');
const frameRoleSchema = z.enum(['depth', 'thermal'], { message: "must be 'depth' or 'thermal'" });
const modelIdSchema = z.string().min(1, 'choose a model').max(200);

/** A false-colour rendering of a frame and the scale it was drawn with (near → far, or cold → warm). */
export const framePreviewSchema = z.object({
  /** data:image/png;base64,… of the frame, one pixel per sensor pixel (scale it up with crisp edges). */
  image: z.string(),
  /** data:image/png;base64,… a 256×1 strip: the palette from `scaleMin` (left) to `scaleMax` (right). */
  scale: z.string(),
  scaleMin: z.number(),
  scaleMax: z.number(),
  /** Metres for depth, °C for thermal. */
  scaleUnit: z.enum(['m', '°C']),
  /** What the scale measures, for its label. */
  scaleLabel: z.enum(['distance', 'temperature']),
});

export const uploadedFrameSchema = z.object({
  frameId: frameIdSchema,
  role: frameRoleSchema,
  fileName: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The frame's own unit: millimetres for depth, °C for thermal. */
  unit: z.enum(['mm', 'celsius']),
  /** Smallest and largest reading (depth ignores 0, "no reading"). */
  min: z.number(),
  max: z.number(),
  /** Depth only: the share of pixels with no reading. */
  missingFraction: z.number().min(0).max(1).optional(),
  preview: framePreviewSchema,
});
export type UploadedFrame = z.infer<typeof uploadedFrameSchema>;

export const poseResultSchema = z.object({
  label: z.string(),
  labels: z.array(z.string()),
  /** Class → probability, over every label of the model. */
  probabilities: z.record(z.string(), z.number()),
  confidence: z.number(),
  /** Modality → share of the decision it carried, over the modalities that were present. */
  contributions: z.record(z.string(), z.number()),
  /** Modalities the answer did without, with why (naming the file when one was given). */
  missing: z.array(z.object({ modality: z.string(), reason: z.string() })),
  /** Modality → the file the answer used. */
  frames: z.record(z.string(), z.string()),
  model: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  latencyMs: z.number(),
});
export type PoseResult = z.infer<typeof poseResultSchema>;

export const poseMethods = {
  'pose.uploadFrame': {
    request: z
      .object({
        role: frameRoleSchema,
        fileName: z.string().min(1, 'name the file').max(255),
        base64: z
          .string()
          .min(1, 'the file is empty')
          .max(MAX_FRAME_BASE64, `a frame file may be at most ${MAX_FRAME_BYTES / 1024 / 1024} MB`)
          .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64-encoded file bytes'),
        /** Needed only for an 8-bit thermal PNG, which holds grey levels, not temperatures: 0 → minC, 255 → maxC. */
        thermalRangeC: z
          .object({ minC: z.number().min(-40).max(300), maxC: z.number().min(-40).max(300) })
          .strict()
          .refine((r) => r.maxC > r.minC, 'maxC must be above minC')
          .optional(),
      })
      .strict(),
    response: uploadedFrameSchema,
  },
  'pose.classify': {
    request: z
      .object({ modelId: modelIdSchema, depthFrameId: frameIdSchema.optional(), thermalFrameId: frameIdSchema.optional() })
      .strict()
      .refine((r) => r.depthFrameId !== undefined || r.thermalFrameId !== undefined, { message: 'load a depth frame, a thermal frame or both', path: ['depthFrameId'] }),
    response: poseResultSchema,
  },
} as const satisfies MethodGroup;
