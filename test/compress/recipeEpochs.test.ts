import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recipeWithEpochs } from '../../src-main/compress/recipeEpochs';
import { DEFAULT_AUDIO_RECIPE } from '../../src-main/train/audioRecipe';
import { DEFAULT_POSE_RECIPE } from '../../src-main/train/poseRecipe';

test('a quick run’s epochs reach the teacher and the students, whatever their own overrides', () => {
  // The audio recipe gives its students more epochs than the teacher: a quick run must not keep those.
  assert.ok((DEFAULT_AUDIO_RECIPE.studentFit?.epochs ?? 0) > DEFAULT_AUDIO_RECIPE.fit.epochs);
  const quick = recipeWithEpochs({ ...DEFAULT_AUDIO_RECIPE, teacherFit: { epochs: 50, learningRate: 1e-3 } }, 2);
  assert.equal(quick.fit.epochs, 2);
  assert.deepEqual(quick.teacherFit, { epochs: 2, learningRate: 1e-3 });
  assert.deepEqual(quick.studentFit, { ...DEFAULT_AUDIO_RECIPE.studentFit, epochs: 2 });
  // Everything else is the recipe's own, and the recipe itself is untouched.
  assert.deepEqual({ ...quick, fit: DEFAULT_AUDIO_RECIPE.fit, teacherFit: undefined, studentFit: DEFAULT_AUDIO_RECIPE.studentFit }, { ...DEFAULT_AUDIO_RECIPE, teacherFit: undefined });
  assert.ok(DEFAULT_AUDIO_RECIPE.fit.epochs > 2 && (DEFAULT_AUDIO_RECIPE.studentFit?.epochs ?? 0) > 2);
  // A recipe without overrides gains none.
  const pose = recipeWithEpochs(DEFAULT_POSE_RECIPE, 3);
  assert.equal(pose.fit.epochs, 3);
  assert.equal('teacherFit' in pose, false);
  assert.equal('studentFit' in pose, false);
});
