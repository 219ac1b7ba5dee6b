/**
 * `npm run bench:audio` → bench/results/audio.json. Participant-grouped 5-fold cross-validation of the
 * method on the real Coswara gender task (teacher float, student alone, student distilled, distilled
 * int8), two folds at a time on worker threads, plus the bundled model's bytes, memory per target and its
 * fixed-split figures. Options: --epochs N --crops N --batch N --folds N (defaults: the bundled model's recipe).
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../src-main/storage/appPaths';
import { runFolds, type FoldJob, type FoldPart } from '../src-main/train/crossValidation';
import { parseShapeLabel } from '../src-main/compress/distillSearch';
import { recipeWithEpochs } from '../src-main/compress/recipeEpochs';
import { DEFAULT_AUDIO_RECIPE, SCREENING_AUDIO_MODALITIES } from '../src-main/train/audioRecipe';
import { meanStd } from '../src-main/train/metrics';
import { pairedBootstrap, pooledBalancedAccuracy, type CvVariant } from '../src-main/train/outOfFold';
import { DEFAULT_SPLIT_SEED } from '../src-main/datasets/split';
import { modelPackageMetaSchema } from '../src-main/models/packageMeta';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const datasetDir = resolve(repoRoot, '..', 'shared', 'data', 'coswara-20200413');
const packageDir = resolve(repoRoot, 'resources', 'models', 'coswara-gender-audio');
const meta = modelPackageMetaSchema.parse(JSON.parse(readFileSync(join(packageDir, 'model.json'), 'utf8')));
// The fold's student is the bundled model's own shape, read from its recipe's chosen candidate.
const chosen = meta.pareto.find((p) => p.chosen)?.label ?? 'w0.5-d3-k3-fc8';
const student = parseShapeLabel(chosen);
if (!student) throw new Error(`${packageDir}: cannot read the student's shape from '${chosen}'`);
const folds = arg('folds', 5);
// Fewer crops or epochs than the bundled recipe shrink the number of optimiser steps: keep an eye on
// `steps` in the output, since a starved teacher scores at chance and says nothing about distillation.
const base = process.argv.includes('--epochs') ? recipeWithEpochs(DEFAULT_AUDIO_RECIPE, arg('epochs', DEFAULT_AUDIO_RECIPE.fit.epochs)) : DEFAULT_AUDIO_RECIPE;
const recipe = { ...base, fit: { ...base.fit, batchSize: arg('batch', DEFAULT_AUDIO_RECIPE.fit.batchSize) } };
const job = (fold: number, part: FoldPart): FoldJob => ({
  datasetDir,
  labelColumn: 'g',
  labels: ['female', 'male'],
  modalities: SCREENING_AUDIO_MODALITIES,
  cacheDir: resolve(repoRoot, '.cache', 'features'),
  crops: arg('crops', 4),
  recipe,
  student,
  folds,
  fold,
  splitSeed: DEFAULT_SPLIT_SEED,
  part,
});
// Long jobs first (teacher + distillation), then the short students alone fill the gaps: five whole folds
// on two workers would take three rounds with one worker idle in the last.
const folds_ = Array.from({ length: folds }, (_, fold) => fold);
const jobs: FoldJob[] = [...folds_.map((f) => job(f, 'distillation')), ...folds_.map((f) => job(f, 'alone'))];

const t0 = performance.now();
const parallel = Math.max(1, Math.min(2, cpus().length));
console.log(`cross-validating ${folds} folds on ${parallel} worker threads (student ${chosen}; epochs: teacher ${recipe.teacherFit?.epochs ?? recipe.fit.epochs}, students ${recipe.studentFit?.epochs ?? recipe.fit.epochs})`);
const scores = await runFolds(jobs, parallel, (fold, detail) => console.log(`fold ${fold}: ${detail}`));
const wallSeconds = (performance.now() - t0) / 1000;
const summary = (key: CvVariant) => meanStd(scores.map((s) => s[key]));
const variants = {
  teacherFloat: summary('teacher'),
  studentAloneFloat: summary('studentAlone'),
  studentDistilledFloat: summary('studentDistilled'),
  studentDistilledInt8: summary('studentInt8'),
};
// How faithfully the int8 student copies its teacher, participant by participant: what distillation is for.
const int8TeacherAgreement = meanStd(scores.map((s) => s.int8TeacherAgreement));
// Every participant is tested once, by the fold that held them out: pooled, the variants are compared on
// all participants at once, and the paired bootstrap says how far resampling them moves the gaps.
const outOfFold = scores.flatMap((s) => s.predictions);
const classes = job(0, 'all').labels.length;
const pooledOf = (key: CvVariant) => pooledBalancedAccuracy(outOfFold, key, classes);
const pooled = {
  participants: outOfFold.length,
  teacherFloat: pooledOf('teacher'),
  studentAloneFloat: pooledOf('studentAlone'),
  studentDistilledFloat: pooledOf('studentDistilled'),
  studentDistilledInt8: pooledOf('studentInt8'),
  int8MinusTeacher: pairedBootstrap(outOfFold, 'studentInt8', 'teacher', classes),
  distilledMinusAlone: pairedBootstrap(outOfFold, 'studentDistilled', 'studentAlone', classes),
};
const fixed = Object.fromEntries(meta.accuracy.map((a) => [a.variant ?? a.metric, a.value]));
const result = {
  benchmark: 'audio',
  task: 'Coswara 2020-04-13, gender from cough + speech + breathing',
  method: `participant-grouped stratified ${folds}-fold cross-validation (test fold k, validation fold k+1, training the rest); balanced accuracy`,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  recipe,
  student: chosen,
  variants,
  int8TeacherAgreement,
  pooled,
  folds: scores.map(({ predictions: _, ...fold }) => fold),
  outOfFold,
  goals: {
    int8WithinTwoPointsOfTeacher: variants.teacherFloat.mean - variants.studentDistilledInt8.mean <= 0.02,
    distilledBeatsAlone: variants.studentDistilledFloat.mean > variants.studentAloneFloat.mean,
    underTwentyMinutes: wallSeconds <= 1200,
  },
  bundledModel: {
    id: meta.id,
    fixedSplitBalancedAccuracy: fixed,
    int8WeightBytes: meta.memory.weightBytes,
    peakActivationBytes: meta.memory.peakActivationBytes,
    parameters: meta.memory.parameters,
    macs: meta.memory.macs,
    fits: meta.memory.fits,
  },
  wallSeconds,
  at: new Date().toISOString(),
};
const outDir = resolve(repoRoot, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'audio.json');
writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
const pct = (v: { mean: number; std: number }) => `${(v.mean * 100).toFixed(1)} ± ${(v.std * 100).toFixed(1)} %`;
console.log(`teacher ${pct(variants.teacherFloat)} | student alone ${pct(variants.studentAloneFloat)} | distilled ${pct(variants.studentDistilledFloat)} | int8 ${pct(variants.studentDistilledInt8)} (agrees with the teacher on ${pct(int8TeacherAgreement)} of test participants) | ${wallSeconds.toFixed(0)} s`);
const gap = (d: { difference: number; low: number; high: number }) => `${(d.difference * 100).toFixed(1)} points (95 % interval ${(d.low * 100).toFixed(1)} to ${(d.high * 100).toFixed(1)})`;
console.log(`pooled over ${pooled.participants} participants: teacher ${(pooled.teacherFloat * 100).toFixed(1)} %, int8 ${(pooled.studentDistilledInt8 * 100).toFixed(1)} %; int8 − teacher ${gap(pooled.int8MinusTeacher)}; distilled − alone ${gap(pooled.distilledMinusAlone)}`);
console.log(`wrote ${out}${existsSync(out) ? '' : ' (missing!)'}`);
