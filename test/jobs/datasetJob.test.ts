import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobRunner, type JobEvent } from '../../src-main/jobs/jobRunner';
import type { TrainTeacherResult } from '../../src-main/jobs/jobSpec';
import { openDataset } from '../../src-main/datasets/openDataset';
import { recordingRefs } from '../../src-main/datasets/dataset';
import { readFloatModel } from '../../src-main/model/weightsFile';
import { openStore } from '../../src-main/store/store';
import { getTrainingRun } from '../../src-main/store/trainingRuns';
import { importRecordings } from '../../src-main/store/importRecordings';
import { datasetHashes, saveDataset } from '../../src-main/store/datasets';
import { datasetFromStore } from '../../src-main/store/storeDataset';
import { coswaraBatch } from '../store/coswaraRefs';
import { recipeWithEpochs } from '../../src-main/compress/recipeEpochs';
import { DEFAULT_AUDIO_RECIPE, SCREENING_AUDIO_MODALITIES } from '../../src-main/train/audioRecipe';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

test('a training job on a real data set folder featurizes it in the worker and records the hash of every recording', { skip: coswaraSkip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-dsjob-'));
  const store = openStore({ dataDir: dir });
  const runner = new JobRunner(store);
  try {
    runner.start();
    const events: JobEvent[] = [];
    runner.subscribe((e) => events.push(e));
    const output = join(dir, 'teacher.json');
    const recipe = { ...recipeWithEpochs(DEFAULT_AUDIO_RECIPE, 2), teacher: { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 8 } };
    const id = runner.submit({
      kind: 'train-teacher',
      data: { kind: 'dataset', dir: COSWARA_DIR, labelColumn: 'g', labels: ['female', 'male'], modalities: SCREENING_AUDIO_MODALITIES, cacheDir: join(dir, 'features'), crops: 1 },
      recipe,
      output,
    });
    const job = await runner.whenFinished(id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal((job.result as TrainTeacherResult).epochsRun, 2);
    assert.deepEqual(readFloatModel(output).arch.spec.modalities.map((m) => m.name), ['cough', 'speech', 'breathing']);
    const dataEvents = events.filter((e) => e.type === 'progress' && e.progress.stage === 'data');
    assert.ok(dataEvents.length > 10, 'featurizing reports progress');
    const expected = [...new Set(recordingRefs(openDataset(COSWARA_DIR)).map((r) => createHash('sha256').update(readFileSync(r.path)).digest('hex')))].sort();
    const run = getTrainingRun(store, job.trainingRunId!)!;
    assert.deepEqual(run.dataHashes, expected, 'the training run names every recording by its SHA-256');
    assert.equal((run.recipe as { recipe: { seed: number } }).recipe.seed, DEFAULT_AUDIO_RECIPE.seed);
  } finally {
    await runner.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a training job on a data set imported and labelled in the store trains on its blobs and records their hashes', { skip: coswaraSkip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-storejob-'));
  const store = openStore({ dataDir: dir });
  const runner = new JobRunner(store);
  try {
    const { refs, labels } = coswaraBatch(40);
    const report = await importRecordings(store, refs, labels, { labelledBy: 'analyst' });
    const subjects = [...new Set(report.stored.map((s) => s.ref.subject!))];
    saveDataset(store, 'clinic-batch', subjects, 'g');
    const { dataset, hashes } = datasetFromStore(store, 'clinic-batch');
    assert.equal(dataset.subjects.length, 40);
    assert.deepEqual(dataset.modalities, ['cough', 'speech', 'breathing']);
    assert.equal(dataset.labelColumns[0], 'g');
    assert.deepEqual(hashes, datasetHashes(store, 'clinic-batch'));
    assert.throws(() => datasetFromStore(store, 'nope'), /no data set named 'nope'/);

    runner.start();
    const recipe = { ...recipeWithEpochs(DEFAULT_AUDIO_RECIPE, 1), teacher: { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 8 } };
    const id = runner.submit({
      kind: 'train-teacher',
      data: { kind: 'store-dataset', name: 'clinic-batch', labels: ['female', 'male'], modalities: SCREENING_AUDIO_MODALITIES },
      recipe,
      output: join(dir, 'teacher.json'),
    });
    const job = await runner.whenFinished(id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.deepEqual(getTrainingRun(store, job.trainingRunId!)!.dataHashes, hashes, 'the run names the exact blobs it trained on');
  } finally {
    await runner.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
