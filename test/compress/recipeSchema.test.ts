import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import type { StudentShape } from '../../src-main/compress/distillSearch';
import type { Recipe, RecipeFit } from '../../src-main/compress/pipeline';
import { recipeFitSchema, recipeSchema, studentShapeSchema } from '../../src-main/compress/recipeSchema';
import { DEFAULT_AUDIO_RECIPE } from '../../src-main/train/audioRecipe';
import { DEFAULT_POSE_RECIPE } from '../../src-main/train/poseRecipe';
import { readTrainingRun } from '../../src-main/train/trainingRun';

// Compile-time: the schemas describe the TypeScript types exactly (a field added to one but not the other fails tsc).
// Optional fields make plain mutual assignability blind to a missing key, so the key sets are compared too.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Exact<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const shapeMatches: Exact<z.infer<typeof studentShapeSchema>, StudentShape> = true;
const fitMatches: Exact<z.infer<typeof recipeFitSchema>, RecipeFit> = true;
const recipeMatches: Exact<z.infer<typeof recipeSchema>, Recipe> = true;

test('the bundled recipes survive a JSON round trip through the schema unchanged', () => {
  assert.ok(shapeMatches && fitMatches && recipeMatches);
  for (const recipe of [DEFAULT_AUDIO_RECIPE, DEFAULT_POSE_RECIPE]) {
    assert.deepEqual(recipeSchema.parse(JSON.parse(JSON.stringify(recipe))), recipe);
  }
});

test("a run folder's recipe keeps pooling and fit controls (compress must rebuild the same students)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-run-'));
  try {
    const recipe = {
      ...DEFAULT_AUDIO_RECIPE,
      students: [{ widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8, pooling: 'time' }],
      fit: { ...DEFAULT_AUDIO_RECIPE.fit, keep: 'last', learningRateSchedule: 'cosine', warmupEpochs: 1 },
      teacherFit: { keep: 'best', minEpochs: 10 },
    };
    const run = { format: 'tinym2-training-run', dataset: '/d', labelColumn: 'g', labels: ['female', 'male'], crops: 4, recipe, split: { kind: 'fixed', train: ['a'], val: ['b'], test: ['c'] }, teacherTestBalancedAccuracy: 0.5, createdAt: '2026-11-25T00:00:00Z' };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
    assert.deepEqual(readTrainingRun(join(dir, 'run.json')).recipe, recipe);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...run, recipe: { ...recipe, students: [{ ...recipe.students[0], pooling: 'frequency' }] } }));
    assert.throws(() => readTrainingRun(join(dir, 'bad.json')), /field 'recipe\.students\.0\.pooling'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('API student shapes are strict: a misspelt field is refused, not ignored', () => {
  assert.equal(studentShapeSchema.strict().safeParse({ widthMultiplier: 1, depth: 2, kernelSize: 3, denseUnits: 8, poolng: 'time' }).success, false);
  assert.equal(studentShapeSchema.strict().safeParse({ widthMultiplier: 1, depth: 2, kernelSize: 3, denseUnits: 8, pooling: 'time' }).success, true);
});
