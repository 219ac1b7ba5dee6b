/** One cross-validation fold, run inside a worker thread (see crossValidation.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { buildArchitecture } from '../model/architecture';
import { tinyM2Net } from '../model/tinyM2Net';
import { openDataset } from '../datasets/openDataset';
import { groupedStratifiedKFold } from '../datasets/split';
import { int8Logits } from '../compress/evaluateInt8';
import { floatPredictions, quantizeStudent, studentFitOptions, trainTeacher } from '../compress/pipeline';
import { prepareAudioTrainingData } from './audioTrainingData';
import { FOLD_FIGURES, type FoldJob, type FoldMessage, type FoldPartScores } from './crossValidation';
import type { CvVariant } from './outOfFold';
import { FeatureCache } from './featureCache';
import { fit, predictLogits } from './fit';
import { argmaxRows, balancedAccuracy, confusionMatrix } from './metrics';
import { trainableModel } from './engine';

const job = workerData as FoldJob;
const post = (m: FoldMessage) => parentPort!.postMessage(m);

async function runFold(): Promise<void> {
  const t0 = performance.now();
  const dataset = openDataset(job.datasetDir);
  const base = { modalities: job.modalities, labelColumn: job.labelColumn, labels: job.labels, cache: new FeatureCache(job.cacheDir), crops: job.crops };
  // Folds are drawn over the usable participants, exactly as the parent drew them.
  const probe = await prepareAudioTrainingData(dataset, { ...base, crops: 1 });
  const items = probe.samples.set.groups.map((g, i) => ({ group: g, label: probe.labels[probe.samples.set.labels[i]!]! }));
  const folds = groupedStratifiedKFold(items, { k: job.folds, seed: job.splitSeed });
  const test = folds[job.fold]!.groups;
  const val = folds[(job.fold + 1) % job.folds]!.groups;
  const train = folds.filter((_, i) => i !== job.fold && i !== (job.fold + 1) % job.folds).flatMap((f) => f.groups);
  const { data } = await prepareAudioTrainingData(dataset, { ...base, split: { kind: 'folds', train, val, test } });
  const progress = (detail: string) => post({ kind: 'progress', fold: job.fold, detail });

  const part = job.part ?? 'all';
  const studentArch = buildArchitecture(tinyM2Net({ name: 'student', modalities: data.modalities, classes: data.classes, ...job.student }));
  const fitBase = studentFitOptions(data, job.recipe);
  const scores: { -readonly [K in keyof FoldPartScores]: FoldPartScores[K] } = { fold: job.fold, testParticipants: data.test.count, seconds: 0 };
  // Each variant's class for every test participant (one centre-crop sample each): the bench pools them over folds.
  const predicted: Partial<Record<CvVariant, Int32Array>> = {};
  const score = (variant: CvVariant, says: Int32Array) => {
    predicted[variant] = says;
    scores[variant] = balancedAccuracy(confusionMatrix(data.test.labels, says, data.classes));
  };
  if (part !== 'alone') {
    progress('teacher');
    const teacher = await trainTeacher(data, job.recipe);
    progress('student distilled');
    const teacherModel = trainableModel(teacher.arch, teacher.weights, { learningRate: 0 });
    const distilled = await fit(studentArch, data.train, data.val, {
      ...fitBase,
      distillation: { teacherLogits: (x) => teacherModel.logits(x), alpha: job.recipe.alpha, temperature: job.recipe.temperature },
    });
    // One pass of the teacher over the test set serves both its score and the agreement below.
    const teacherSays = argmaxRows(predictLogits(teacherModel, data.test), data.classes);
    teacherModel.dispose();
    score('teacher', teacherSays);
    progress('int8');
    // As the pipeline ships it: post-training, or quantization-aware when that scores better on validation.
    const { graph } = await quantizeStudent(data, job.recipe, { arch: studentArch, weights: distilled.weights });
    score('studentDistilled', floatPredictions(studentArch, distilled.weights, data.test));
    const int8Says = argmaxRows(int8Logits(graph, data.test), data.classes);
    score('studentInt8', int8Says);
    scores.int8TeacherAgreement = teacherSays.filter((c, i) => c === int8Says[i]).length / teacherSays.length;
  }
  if (part !== 'distillation') {
    progress('student alone');
    const alone = await fit(studentArch, data.train, data.val, fitBase);
    score('studentAlone', floatPredictions(studentArch, alone.weights, data.test));
  }
  scores.predictions = data.test.groups.map((participant, i) => ({
    participant,
    label: data.test.labels[i]!,
    predicted: Object.fromEntries(Object.entries(predicted).map(([variant, says]) => [variant, says[i]!])),
  }));
  const seconds = (performance.now() - t0) / 1000;
  const measured = FOLD_FIGURES.filter((k) => scores[k] !== undefined);
  progress(`${part} done in ${seconds.toFixed(0)} s: ${measured.map((k) => `${k} ${(scores[k]! * 100).toFixed(1)} %`).join(', ')}`);
  post({ kind: 'done', scores: { ...scores, seconds } });
}

runFold().catch((e: unknown) => post({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
