/**
 * The recipe as data: run folders (`tinym2 train` → `tinym2 compress`) and API requests carry recipes and
 * student shapes as JSON, and a field a schema does not list is silently dropped by zod, so every
 * field of `Recipe` and `StudentShape` is listed here once (a time-pooled student read back without its
 * pooling would be a different network). test/compress/recipeSchema.test.ts checks at compile time that
 * these describe `Recipe`, `RecipeFit` and `StudentShape` exactly. No imports from the training code: the
 * API contract (which the renderer type-checks too) uses these schemas.
 */
import { z } from 'zod';

export const studentShapeSchema = z.object({
  widthMultiplier: z.number().positive().max(4),
  depth: z.number().int().min(1).max(6),
  kernelSize: z.number().int().min(1).max(7),
  denseUnits: z.number().int().min(0).max(256),
  pooling: z.enum(['global', 'time']).optional(),
});

export const recipeFitSchema = z.object({
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  learningRate: z.number().positive(),
  patience: z.number().int().nonnegative(),
  weightDecay: z.number().nonnegative().optional(),
  minEpochs: z.number().int().nonnegative().optional(),
  valLossSmoothing: z.number().min(0).lt(1).optional(),
  learningRateSchedule: z.enum(['constant', 'cosine']).optional(),
  warmupEpochs: z.number().int().nonnegative().optional(),
  keep: z.enum(['best', 'last']).optional(),
});

export const recipeSchema = z.object({
  seed: z.number().int(),
  teacher: studentShapeSchema,
  students: z.array(studentShapeSchema).min(1).readonly(),
  fit: recipeFitSchema,
  teacherFit: recipeFitSchema.partial().optional(),
  studentFit: recipeFitSchema.partial().optional(),
  teacherRestarts: z.number().int().nonnegative().optional(),
  maxTrainedStudents: z.number().int().positive().optional(),
  alpha: z.number().min(0).max(1),
  temperature: z.number().positive(),
  inputClip: z.number().min(0).lt(1),
  qatEpochs: z.number().int().nonnegative().optional(),
});
