import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { recipeSchema } from '../compress/recipeSchema';

/** What `tinym2 train` leaves in a run folder beside teacher.model.json, so `compress` can carry on. */
export const trainingRunSchema = z.object({
  format: z.literal('tinym2-training-run'),
  dataset: z.string(),
  labelColumn: z.string(),
  labels: z.array(z.string()).min(2),
  crops: z.number().int().positive(),
  recipe: recipeSchema,
  split: z.object({ kind: z.enum(['fixed', 'folds']), train: z.array(z.string()), val: z.array(z.string()), test: z.array(z.string()) }),
  teacherTestBalancedAccuracy: z.number(),
  createdAt: z.string(),
});
export type TrainingRun = z.infer<typeof trainingRunSchema>;

export function readTrainingRun(file: string): TrainingRun {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a training run (${(e as Error).message}); run \`tinym2 train\` first`);
  }
  const parsed = trainingRunSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
