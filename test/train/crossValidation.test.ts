import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recipeWithEpochs } from '../../src-main/compress/recipeEpochs';
import { runFolds, type FoldJob } from '../../src-main/train/crossValidation';
import { CV_VARIANTS, pooledBalancedAccuracy } from '../../src-main/train/outOfFold';
import { DEFAULT_AUDIO_RECIPE, SCREENING_AUDIO_MODALITIES } from '../../src-main/train/audioRecipe';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

test('cross-validation folds run on worker threads over the real data and score every variant', { skip: coswaraSkip, timeout: 600_000 }, async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'tm2-cv-'));
  try {
    const recipe = { ...recipeWithEpochs(DEFAULT_AUDIO_RECIPE, 1), teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 } };
    const job = (fold: number): FoldJob => ({
      datasetDir: COSWARA_DIR,
      labelColumn: 'g',
      labels: ['female', 'male'],
      modalities: SCREENING_AUDIO_MODALITIES,
      cacheDir,
      crops: 1,
      recipe,
      student: { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 },
      folds: 5,
      fold,
      splitSeed: 2020,
    });
    const progress: string[] = [];
    // Fold 3 runs as two jobs (teacher + distillation, and the student alone) whose scores are merged.
    const scores = await runFolds([job(0), { ...job(3), part: 'distillation' }, { ...job(3), part: 'alone' }], 2, (fold, detail) => progress.push(`${fold}:${detail}`));
    assert.deepEqual(scores.map((s) => s.fold), [0, 3]);
    const folds0and3 = scores.flatMap((s) => s.predictions.map((p) => p.participant));
    assert.equal(new Set(folds0and3).size, folds0and3.length, 'no participant is tested by two folds');
    for (const s of scores) {
      assert.ok(s.testParticipants >= 14 && s.testParticipants <= 16, `fold ${s.fold} tests ${s.testParticipants} participants`);
      for (const v of [s.teacher, s.studentAlone, s.studentDistilled, s.studentInt8]) assert.ok(v >= 0 && v <= 1);
      const agreeing = s.int8TeacherAgreement * s.testParticipants;
      assert.ok(Math.abs(agreeing - Math.round(agreeing)) < 1e-9 && agreeing >= 0 && agreeing <= s.testParticipants, `agreement ${s.int8TeacherAgreement} counts participants`);
      // Every test participant once, with every variant's class (fold 3's from its two jobs joined), and the
      // fold's scores are exactly those predictions' balanced accuracies.
      assert.equal(new Set(s.predictions.map((p) => p.participant)).size, s.testParticipants);
      assert.ok(s.predictions.every((p) => p.fold === s.fold && (p.label === 0 || p.label === 1)));
      for (const v of CV_VARIANTS) assert.equal(pooledBalancedAccuracy(s.predictions, v, 2), s[v], `fold ${s.fold} ${v}`);
      const agreed = s.predictions.filter((p) => p.predicted.teacher === p.predicted.studentInt8).length;
      assert.equal(agreed / s.testParticipants, s.int8TeacherAgreement);
    }
    for (const stage of ['teacher', 'student alone', 'student distilled', 'int8']) {
      assert.ok(progress.includes(`0:${stage}`), `fold 0 reported ${stage}`);
      assert.equal(progress.filter((p) => p === `3:${stage}`).length, 1, `fold 3's parts ran ${stage} once between them`);
    }
    await assert.rejects(runFolds([{ ...job(1), part: 'alone' }], 1), /fold 1: no job measured teacher/);
    await assert.rejects(runFolds([{ ...job(0), datasetDir: join(cacheDir, 'nope') }], 1), /fold 0: .*no such file or folder/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true, maxRetries: 5 });
  }
});
