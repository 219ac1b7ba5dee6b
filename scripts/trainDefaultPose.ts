/**
 * Rebuilds the bundled default pose model (`npm run train:default-pose [-- <out dir> [--recipe <json>]]`): depth + thermal
 * frames from the procedural pose generator (TinyM²Net-V3's second case), six body poses, teacher →
 * memory-aware distillation → int8 under the paper's 58 KB weight cap with weights and peak activations
 * in GAP8's L1. Generated sets live in .cache/posegen (reused when their manifest matches); the float
 * teacher and student are kept in .cache/pose-default for the benchmark. Seeded; the recipe below is
 * the whole recipe (`--recipe` merges a partial one over it, for experiments; the package records the result).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageVersion } from '../src-main/api/appVersion';
import { ProgressBar } from '../src-main/cli/progressBar';
import { runPipeline, type VariantScore } from '../src-main/compress/pipeline';
import { writeFloatModel } from '../src-main/model/weightsFile';
import { writePipelinePackage } from '../src-main/models/packageFromPipeline';
import { accuracy as confusionAccuracy } from '../src-main/train/metrics';
import { parseTargetLevel } from '../src-main/planner/memoryFit';
import { repoRoot } from '../src-main/storage/appPaths';
import type { Recipe } from '../src-main/compress/pipeline';
import { DEFAULT_POSE_DATA as spec, DEFAULT_POSE_RECIPE, POSE_FEATURES, POSE_LABELS, poseModalities } from '../src-main/train/poseRecipe';
import { ensurePoseSet, loadPoseSet, posePipelineData } from '../src-main/train/poseTrainingData';

const appVersion = packageVersion();
const args = process.argv.slice(2);
const recipeAt = args.indexOf('--recipe');
const override = recipeAt >= 0 ? (JSON.parse(args.splice(recipeAt, 2)[1] ?? '{}') as Partial<Recipe>) : {};
const recipe: Recipe = { ...DEFAULT_POSE_RECIPE, ...override, fit: { ...DEFAULT_POSE_RECIPE.fit, ...override.fit } };
const defaultOut = resolve(repoRoot, 'resources', 'models', 'pose-depth-thermal');
const outDir = resolve(args[0] ?? defaultOut);
const cacheDir = resolve(repoRoot, '.cache');
const t0 = performance.now();

for (const part of ['train', 'test'] as const) {
  const bar = new ProgressBar(`generating ${part}`, (s) => process.stderr.write(s), process.stderr.isTTY === true);
  const how = await ensurePoseSet(join(cacheDir, 'posegen', part), spec[part], spec.depthSize, spec.thermalSize, (d, t) => bar.update(d / t));
  bar.done();
  console.log(`${part} set: ${how} (${JSON.stringify(spec[part])})`);
}
const all = await loadPoseSet(join(cacheDir, 'posegen', 'train'));
const test = await loadPoseSet(join(cacheDir, 'posegen', 'test'));
for (const p of [...all.report.problems, ...test.report.problems]) console.log(`skipped ${p.message}`);
const data = posePipelineData(all.set, test.set, spec.valSubjects);
console.log(`samples: ${data.train.count} train, ${data.val.count} validation (${spec.valSubjects} subjects), ${data.test.count} test (unseen seed and subjects)`);

// The paper's 58 KB pose model; weights and peak activations together must fit GAP8's 64 + 16 KB L1.
const budget = { level: parseTargetLevel('gap8:l1'), maxWeightBytes: 58 * 1024 };
const result = await runPipeline(data, recipe, budget, (p) => {
  if (p.epoch) console.log(`${p.epoch.model} epoch ${p.epoch.epoch}: loss ${p.epoch.trainLoss.toFixed(3)}, val loss ${p.epoch.valLoss.toFixed(3)}, val bacc ${p.epoch.valBalancedAccuracy.toFixed(3)} (${p.epoch.seconds.toFixed(0)} s)`);
  else console.log(`[${(p.fraction * 100).toFixed(0)} %] ${p.detail}`);
});
// The benchmark reads the bundled model's float teacher and student from here.
const floatDir = outDir === defaultOut ? join(cacheDir, 'pose-default') : `${outDir}.floats`;
mkdirSync(floatDir, { recursive: true });
writeFloatModel(join(floatDir, 'teacher.json'), result.teacher.arch, result.teacher.weights);
writeFloatModel(join(floatDir, 'student.json'), result.student.arch, result.student.weights);

const t = result.test;
const accuracy = (s: VariantScore) => confusionAccuracy(s.confusion);
console.log(`test accuracy: teacher ${accuracy(t.teacher).toFixed(3)}, student float ${accuracy(t.studentFloat).toFixed(3)}, student int8 ${accuracy(t.studentInt8).toFixed(3)}`);
console.log(`student ${result.search.chosen.point.label}: ${result.plan.weightBytes} B weights, ${result.plan.peakActivationBytes} B peak activations; ${result.seconds.toFixed(0)} s training`);

const method = `held-out generated set: unseen scene seed (${spec.test.seed}) and unseen subject bodies (subject seed ${spec.test.subjectSeed}), ${data.test.count} samples, 6 balanced classes; trained on ${data.train.count}, chosen on ${data.val.count} samples of ${spec.valSubjects} held-back training subjects`;
const dataset = `tinym2-posegen procedural depth ${spec.depthSize.width}×${spec.depthSize.height} + thermal ${spec.thermalSize.width}×${spec.thermalSize.height} (area-averaged to ${POSE_FEATURES.depth.width}×${POSE_FEATURES.depth.height} / ${POSE_FEATURES.thermal.width}×${POSE_FEATURES.thermal.height})`;
const figures = (variant: string, s: VariantScore) => [
  { metric: 'accuracy' as const, value: accuracy(s), variant, method, dataset },
  { metric: 'balancedAccuracy' as const, value: s.balancedAccuracy, variant, method, dataset },
];
const meta = writePipelinePackage(
  outDir,
  {
    id: 'pose-depth-thermal',
    name: 'Body pose from depth + thermal (procedural benchmark)',
    version: '1.4.0',
    codeVersion: appVersion,
    task: {
      kind: 'pose',
      description:
        'Body pose from a wall-mounted depth camera and a low-resolution thermal sensor (standing, sitting, lying, fallen, bending, hands raised), after TinyM²Net-V3. Trained on procedurally generated rooms and people; retrain on your own labelled frames before relying on it.',
      labels: [...POSE_LABELS],
    },
    modalities: poseModalities().map((m) => ({ name: m.name, kind: m.kind, instruction: m.instruction, features: m.features })),
    accuracy: [...figures('student int8', t.studentInt8), ...figures('student float', t.studentFloat), ...figures('teacher float', t.teacher)],
    provenance: {
      dataset: `${dataset}; training: n ${spec.train.n}, seed ${spec.train.seed}, subject seed ${spec.train.subjectSeed}, ${spec.train.subjects} subjects; test: n ${spec.test.n}, seed ${spec.test.seed}, subject seed ${spec.test.subjectSeed}, ${spec.test.subjects} subjects`,
      license: 'Generated by TinyM2 Studio (no personal data)',
      seed: recipe.seed,
      recipe: `scripts/trainDefaultPose.ts ${JSON.stringify({ recipe, data: spec, budget: { level: 'gap8:l1', maxWeightBytes: budget.maxWeightBytes } })}`,
      codeVersion: appVersion,
    },
  },
  result,
);
console.log(`wrote ${outDir} (${meta.memory.weightBytes} B weights, ${meta.memory.peakActivationBytes} B peak activations; fits: ${meta.memory.fits.filter((f) => f.fits).map((f) => `${f.target}:${f.level}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
