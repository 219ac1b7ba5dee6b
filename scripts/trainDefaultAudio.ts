/**
 * Rebuilds the bundled default audio model (`npm run train:default-audio [-- <coswara dir>]`): cough +
 * speech + breathing from the real Coswara 2020-04-13 batch, task gender (the batch has no COVID
 * positives), teacher → memory-aware distillation → int8, ≤ 6 KB of weights with peak activations in
 * GAP8's cluster L1. Seeded; the recipe below is the whole recipe.
 */
import { resolve } from 'node:path';
import { openDataset } from '../src-main/datasets/openDataset';
import { prepareAudioTrainingData } from '../src-main/train/audioTrainingData';
import { FeatureCache } from '../src-main/train/featureCache';
import { compressTeacher, trainTeacher } from '../src-main/compress/pipeline';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFloatModel, writeFloatModel } from '../src-main/model/weightsFile';
import { parseTargetLevel } from '../src-main/planner/memoryFit';
import { writePipelinePackage } from '../src-main/models/packageFromPipeline';
import { repoRoot } from '../src-main/storage/appPaths';
import { DEFAULT_AUDIO_RECIPE as recipe, SCREENING_AUDIO_MODALITIES as modalities } from '../src-main/train/audioRecipe';
import { packageVersion } from '../src-main/api/appVersion';
import { ProgressBar } from '../src-main/cli/progressBar';

const appVersion = packageVersion();

const dataDir = resolve(process.argv[2] ?? resolve(repoRoot, '..', 'shared', 'data', 'coswara-20200413'));
const outDir = resolve(process.argv[3] ?? resolve(repoRoot, 'resources', 'models', 'coswara-gender-audio'));

const dataset = openDataset(dataDir);
const cache = new FeatureCache(resolve(repoRoot, '.cache', 'features'));
const bar = new ProgressBar('features', (s) => process.stderr.write(s), process.stderr.isTTY === true);
const prepared = await prepareAudioTrainingData(dataset, { modalities, labelColumn: 'g', labels: ['female', 'male'], cache, crops: 4, onProgress: (d, t) => bar.update(d / t) });
bar.done();
for (const s of prepared.samples.skipped) console.log(`skipped ${s.subject}/${s.modality}: ${s.reason}`);
const data = prepared.data;
const split = prepared.split;
console.log(`participants: ${split.train.length} train (${data.train.count} crops), ${data.val.count} validation, ${data.test.count} test`);

const budget = { level: parseTargetLevel('gap8:l1-cluster'), maxWeightBytes: 6144 };
const log = (p: { fraction: number; detail: string; epoch?: { model: string; epoch: number; trainLoss: number; valLoss: number; valBalancedAccuracy: number } }) => {
  if (p.epoch && p.epoch.epoch % 5 === 0) console.log(`${p.epoch.model} epoch ${p.epoch.epoch}: loss ${p.epoch.trainLoss.toFixed(3)}, val loss ${p.epoch.valLoss.toFixed(3)}, val bacc ${p.epoch.valBalancedAccuracy.toFixed(2)}`);
  else if (!p.epoch) console.log(`[${(p.fraction * 100).toFixed(0)} %] ${p.detail}`);
};
// The teacher is the slow part and a pure function of data, recipe and code: keep it between rebuilds.
const teacherKey = createHash('sha256').update(JSON.stringify({ recipe: { ...recipe, students: [] }, modalities, split, appVersion })).digest('hex').slice(0, 16);
const teacherFile = resolve(repoRoot, '.cache', `default-audio-teacher-${teacherKey}.model.json`);
const t0 = performance.now();
let teacher;
if (existsSync(teacherFile)) {
  teacher = readFloatModel(teacherFile);
  console.log(`reusing the teacher trained earlier (${teacherFile})`);
} else {
  teacher = await trainTeacher(data, recipe, log, 0.3);
  mkdirSync(resolve(repoRoot, '.cache'), { recursive: true });
  writeFloatModel(teacherFile, teacher.arch, teacher.weights);
}
const result = { ...(await compressTeacher(data, recipe, budget, teacher, log, 0.3)), seconds: (performance.now() - t0) / 1000 };
console.log(`quantization: ${result.quantization.method} (validation int8 balanced accuracy: post-training ${result.quantization.postTrainingValBalancedAccuracy.toFixed(3)}, quantization-aware ${result.quantization.quantAwareValBalancedAccuracy?.toFixed(3) ?? 'n/a'})`);
const t = result.test;
console.log(`test balanced accuracy: teacher ${t.teacher.balancedAccuracy.toFixed(3)}, student float ${t.studentFloat.balancedAccuracy.toFixed(3)}, student int8 ${t.studentInt8.balancedAccuracy.toFixed(3)}`);
console.log(`student ${result.search.chosen.point.label}: ${result.plan.weightBytes} B weights, ${result.plan.peakActivationBytes} B peak activations; ${result.seconds.toFixed(0)} s`);

const method = `fixed participant-level split (split.csv): trained on ${split.train.length}, chosen on ${data.val.count}, measured on ${data.test.count} held-out participants`;
const dataset_ = 'Coswara 2020-04-13 batch (76 participants)';
const meta = writePipelinePackage(
  outDir,
  {
    id: 'coswara-gender-audio',
    name: 'Cough + speech + breathing (Coswara, gender benchmark)',
    version: '1.3.0',
    codeVersion: appVersion,
    task: {
      kind: 'audio',
      description:
        'Benchmark task on real recordings: gender from cough, speech and breathing. The 2020-04-13 Coswara batch has no COVID-positive participants; COVID screening models are trained on local labelled data with the Retrain wizard.',
      labels: ['female', 'male'],
    },
    modalities: modalities.map((m) => ({ name: m.name, kind: 'audio' as const, instruction: m.instruction, durationSeconds: m.durationSeconds, features: m.features })),
    accuracy: [
      { metric: 'balancedAccuracy', value: t.studentInt8.balancedAccuracy, variant: 'student int8', method, dataset: dataset_ },
      { metric: 'balancedAccuracy', value: t.studentFloat.balancedAccuracy, variant: 'student float', method, dataset: dataset_ },
      { metric: 'balancedAccuracy', value: t.teacher.balancedAccuracy, variant: 'teacher float', method, dataset: dataset_ },
    ],
    provenance: {
      dataset: `${dataset_}, label column g`,
      license: 'CC BY 4.0',
      attribution:
        'Project Coswara, Indian Institute of Science, Bangalore. N. Sharma et al., Interspeech 2020 (arXiv:2005.10548); Bhattacharya et al., Scientific Data 10, 397 (2023).',
      seed: recipe.seed,
      recipe: `scripts/trainDefaultAudio.ts ${JSON.stringify(recipe)}`,
      codeVersion: appVersion,
    },
  },
  result,
);
console.log(`wrote ${outDir} (${meta.memory.weightBytes} B weights; fits: ${meta.memory.fits.filter((f) => f.fits).map((f) => `${f.target}:${f.level}`).join(', ')})`);
