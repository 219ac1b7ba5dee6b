/**
 * A training job's state after a finished epoch: the last epoch's weights (to continue from), the best
 * epoch's weights (what early stopping returns), and the curves so far. Adam's moments and the shuffling
 * generator's position are not kept: a resumed run restarts the optimizer from the last weights and draws
 * a fresh, seeded shuffle per epoch (as every epoch does, see checkpointedFit.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ModelWeights } from '../model/weights';
import { decodeTree, encodeTree, paramTreeFileSchema } from '../model/weightsFile';
import { writeFileAtomic } from '../storage/atomicFile';
import type { EpochReport } from '../train/fit';

export interface TrainingCheckpoint {
  readonly epochsDone: number;
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly history: readonly EpochReport[];
  readonly last: ModelWeights;
  readonly best: ModelWeights;
}

const weightsSchema = z.object({ params: paramTreeFileSchema, state: paramTreeFileSchema });
const reportSchema = z.object({ epoch: z.number(), trainLoss: z.number(), valLoss: z.number().nullable(), valBalancedAccuracy: z.number(), seconds: z.number() });
const fileSchema = z.object({
  format: z.literal('tinym2-training-checkpoint'),
  version: z.literal(1),
  epochsDone: z.number().int().nonnegative(),
  bestEpoch: z.number().int(),
  bestValLoss: z.number().nullable(),
  history: z.array(reportSchema),
  last: weightsSchema,
  best: weightsSchema,
});

/** JSON has no Infinity/NaN: a diverged epoch's loss is stored as null and read back as NaN. */
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export function writeTrainingCheckpoint(file: string, c: TrainingCheckpoint): void {
  writeFileAtomic(
    file,
    JSON.stringify({
      format: 'tinym2-training-checkpoint',
      version: 1,
      epochsDone: c.epochsDone,
      bestEpoch: c.bestEpoch,
      bestValLoss: finiteOrNull(c.bestValLoss),
      history: c.history.map((h) => ({ ...h, valLoss: finiteOrNull(h.valLoss) })),
      last: { params: encodeTree(c.last.params), state: encodeTree(c.last.state) },
      best: { params: encodeTree(c.best.params), state: encodeTree(c.best.state) },
    }),
  );
}

export function readTrainingCheckpoint(file: string): TrainingCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the training checkpoint (${(e as Error).message})`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: field '${parsed.error.issues[0]!.path.join('.')}': ${parsed.error.issues[0]!.message}`);
  const c = parsed.data;
  return {
    epochsDone: c.epochsDone,
    bestEpoch: c.bestEpoch,
    bestValLoss: c.bestValLoss ?? Infinity,
    history: c.history.map((h) => ({ ...h, valLoss: h.valLoss ?? NaN })),
    last: { params: decodeTree(c.last.params), state: decodeTree(c.last.state) },
    best: { params: decodeTree(c.best.params), state: decodeTree(c.best.state) },
  };
}
