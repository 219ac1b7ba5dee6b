/**
 * Rebuilds the bundled default audio model (`npm run train:default-audio [-- <coswara dir>]`): cough +
 * speech + breathing from the real Coswara 2020-04-13 batch, task gender (the batch has no COVID
 * positives), teacher → memory-aware distillation → int8, ≤ 6 KB of weights with peak activations in
 * GAP8's cluster L1. Seeded; the recipe below is the whole recipe.
 */
import { resolve } from 'node:path';
import { audioSamples } from '../src-main/datasets/audioSamples';
import { openDataset } from '../src-main/datasets/openDataset';
import { indicesOfGroups, subset } from '../src-main/train/sampleSet';
import { FeatureCache } from '../src-main/train/featureCache';
import { logMelAugmenter } from '../src-main/train/augment';
import { runPipeline, type Recipe } from '../src-main/compress/pipeline';
import { parseTargetLevel } from '../src-main/planner/memoryFit';
import { writePipelinePackage } from '../src-main/models/packageFromPipeline';
import { repoRoot } from '../src-main/storage/appPaths';
import type { AudioFeatureParams } from '../src-main/models/packageMeta';
import { packageVersion } from '../src-main/api/appVersion';
import { ProgressBar } from '../src-main/cli/progressBar';

const appVersion = packageVersion();

const dataDir = resolve(process.argv[2] ?? resolve(repoRoot, '..', 'shared', 'data', 'coswara-20200413'));
const outDir = resolve(process.argv[3] ?? resolve(repoRoot, 'resources', 'models', 'coswara-gender-audio'));

/**
 * Coarser than the app's general defaults (40 ms windows every 20 ms, 32 bands): the inputs stay a few KB
 * so three branches' activations fit GAP8's 64 KB cluster L1, while 25 Hz bins still resolve voice pitch.
 */
const common = { kind: 'logMel', sampleRate: 16000, windowMs: 40, hopMs: 20, fftSize: 1024, melBands: 32, fMin: 0, fMax: 8000, trimDb: 40, logFloor: 1e-6 } as const;
const modalities: { name: string; features: AudioFeatureParams; instruction: string; durationSeconds: number }[] = [
  { name: 'cough', features: { ...common, frames: 64 }, instruction: 'Cough three times, turning your head away from other people.', durationSeconds: 5 },
  { name: 'speech', features: { ...common, frames: 128 }, instruction: 'Count from 1 to 20 at your normal pace and volume.', durationSeconds: 12 },
  { name: 'breathing', features: { ...common, frames: 128 }, instruction: 'Breathe in and out deeply five times through your mouth.', durationSeconds: 12 },
];

const recipe: Recipe = {
  seed: 1,
  teacher: { widthMultiplier: 2, depth: 3, kernelSize: 3, denseUnits: 32 },
  students: [
    { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 },
    { widthMultiplier: 0.25, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.5, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 1, depth: 3, kernelSize: 3, denseUnits: 16 },
  ],
  fit: { epochs: 40, batchSize: 32, learningRate: 3e-3, patience: 12, weightDecay: 1e-4 },
  alpha: 0.3,
  temperature: 4,
  inputClip: 0.001,
};

const dataset = openDataset(dataDir);
const cache = new FeatureCache(resolve(repoRoot, '.cache', 'features'));
const spec = { modalities, labelColumn: 'g', labels: ['female', 'male'], cache };
const bar = new ProgressBar('features', (s) => process.stderr.write(s), process.stderr.isTTY === true);
const centre = await audioSamples(dataset, { ...spec, onProgress: (d, t) => bar.update(d / t) });
const crops = await audioSamples(dataset, { ...spec, crops: 6 });
bar.done();
for (const s of centre.skipped) console.log(`skipped ${s.subject}/${s.modality}: ${s.reason}`);
const splitOf = new Map(dataset.subjects.map((s) => [s.id, s.labels.split]));
const group = (name: string) => new Set([...splitOf].filter(([, v]) => v === name).map(([id]) => id));
const data = {
  train: subset(crops.set, indicesOfGroups(crops.set, group('train'))),
  val: subset(centre.set, indicesOfGroups(centre.set, group('val'))),
  test: subset(centre.set, indicesOfGroups(centre.set, group('test'))),
  modalities: modalities.map((m) => ({ name: m.name, input: [m.features.frames, m.features.melBands, 1] as const })),
  classes: 2,
  augment: { perModality: modalities.map((m) => logMelAugmenter({ floor: Math.log(m.features.logFloor!) })), dropModality: 0.1, fill: modalities.map((m) => Math.log(m.features.logFloor!)) },
};
console.log(`participants: ${group('train').size} train (${data.train.count} crops), ${data.val.count} validation, ${data.test.count} test`);

const budget = { level: parseTargetLevel('gap8:l1-cluster'), maxWeightBytes: 6144 };
const result = await runPipeline(data, recipe, budget, (p) => {
  if (p.epoch && p.epoch.epoch % 5 === 0) console.log(`${p.epoch.model} epoch ${p.epoch.epoch}: loss ${p.epoch.trainLoss.toFixed(3)}, val loss ${p.epoch.valLoss.toFixed(3)}, val bacc ${p.epoch.valBalancedAccuracy.toFixed(2)}`);
  else if (!p.epoch) console.log(`[${(p.fraction * 100).toFixed(0)} %] ${p.detail}`);
});
const t = result.test;
console.log(`test balanced accuracy: teacher ${t.teacher.balancedAccuracy.toFixed(3)}, student float ${t.studentFloat.balancedAccuracy.toFixed(3)}, student int8 ${t.studentInt8.balancedAccuracy.toFixed(3)}`);
console.log(`student ${result.search.chosen.point.label}: ${result.plan.weightBytes} B weights, ${result.plan.peakActivationBytes} B peak activations; ${result.seconds.toFixed(0)} s`);

const method = `fixed participant-level split (split.csv): trained on ${group('train').size}, chosen on ${data.val.count}, measured on ${data.test.count} held-out participants`;
const dataset_ = 'Coswara 2020-04-13 batch (76 participants)';
const meta = writePipelinePackage(
  outDir,
  {
    id: 'coswara-gender-audio',
    name: 'Cough + speech + breathing (Coswara, gender benchmark)',
    version: '1.0.0',
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
