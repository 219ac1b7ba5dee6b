import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPipeline, type Recipe } from '../../src-main/compress/pipeline';
import { int8Logits } from '../../src-main/compress/evaluateInt8';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import type { PoseFeatureParams } from '../../src-main/frames/poseSamples';
import { classify } from '../../src-main/infer/classify';
import { frameModalityInput } from '../../src-main/infer/frameInput';
import { openModelSession } from '../../src-main/infer/modelSession';
import { loadPackage } from '../../src-main/models/catalog';
import { writePipelinePackage } from '../../src-main/models/packageFromPipeline';
import { parseTargetLevel } from '../../src-main/planner/memoryFit';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { argmaxRows } from '../../src-main/train/metrics';
import { POSE_LABELS, poseModalities } from '../../src-main/train/poseRecipe';
import { loadPoseSet, posePipelineData } from '../../src-main/train/poseTrainingData';

// Small inputs and a tiny recipe: this checks the plumbing, not the accuracy (the bench does that).
const features: PoseFeatureParams = {
  depth: { kind: 'frame', width: 20, height: 15, unit: 'mm', min: 0, max: 6000 },
  thermal: { kind: 'frame', width: 16, height: 12, unit: 'celsius', min: 10, max: 40 },
};
const recipe: Recipe = {
  seed: 5,
  teacher: { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
  students: [{ widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 }],
  fit: { epochs: 3, batchSize: 16, learningRate: 1e-2, patience: 3 },
  alpha: 0.5,
  temperature: 3,
  inputClip: 0,
};

const scratch: string[] = [];
after(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

test('generated frames → teacher → distilled int8 student → package that onnxruntime classifies as the int8 reference does', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tinym2-pose-pipeline-'));
  scratch.push(root);
  const sizes = { depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 } as const;
  await generatePoseSet({ out: join(root, 'train'), n: 96, seed: 21, subjects: 4, ...sizes });
  await generatePoseSet({ out: join(root, 'test'), n: 24, seed: 22, subjectSeed: 922, subjects: 2, ...sizes });
  const all = await loadPoseSet(join(root, 'train'), features);
  const held = await loadPoseSet(join(root, 'test'), features);
  const data = posePipelineData(all.set, held.set, 1, features);

  const result = await runPipeline(data, recipe, { level: parseTargetLevel('gap8:l1-fc'), maxWeightBytes: 58 * 1024 });
  assert.ok(result.plan.weightBytes > 0 && result.plan.weightBytes <= 58 * 1024);
  for (const v of [result.test.teacher, result.test.studentFloat, result.test.studentInt8]) {
    assert.equal(v.confusion.flat().reduce((a, b) => a + b, 0), 24, 'every held-out sample is scored');
  }

  const pkg = join(root, 'pose-model');
  const meta = writePipelinePackage(
    pkg,
    {
      id: 'pose-test',
      name: 'Pose (test)',
      version: '0.0.1',
      task: { kind: 'pose', description: 'test', labels: [...POSE_LABELS] },
      modalities: poseModalities(features).map((m) => ({ name: m.name, kind: m.kind, features: m.features })),
      accuracy: [{ metric: 'balancedAccuracy', value: result.test.studentInt8.balancedAccuracy, method: 'tiny held-out set', dataset: 'posegen' }],
      provenance: { dataset: 'posegen seed 21 / 22' },
    },
    result,
  );
  assert.deepEqual(meta.modalities.map((m) => [m.name, m.kind, m.inputShape]), [
    ['depth', 'depth', [15, 20, 1]],
    ['thermal', 'thermal', [12, 16, 1]],
  ]);
  assert.ok(meta.memory.fits.some((f) => f.target === 'gap8' && f.level === 'l1-fc' && f.fits));
  const loaded = await loadPackage(pkg);
  assert.ok(!('reason' in loaded), JSON.stringify(loaded));

  // From the files, through the package's own feature parameters, to the answer.
  const reference = argmaxRows(int8Logits(result.graph, held.set), 6);
  const files = (await importLabelledSet(join(root, 'test'))).samples;
  assert.equal(files.length, held.set.count);
  const session = await openModelSession(pkg);
  try {
    const [depthSpec, thermalSpec] = session.meta.modalities;
    for (let n = 0; n < files.length; n++) {
      const inputs = [await frameModalityInput(depthSpec!, files[n]!.depthFile), await frameModalityInput(thermalSpec!, files[n]!.thermalFile)];
      const r = await classify(session, inputs);
      assert.equal(r.labelIndex, reference[n], `sample ${n} (${files[n]!.depthFile})`);
      assert.equal(r.label, POSE_LABELS[reference[n]!]);
    }
    // An absent thermal frame is filled exactly as training's modality drop and the int8 reference fill it.
    const noThermal = { ...held.set, modalities: [held.set.modalities[0]!, new Float32Array(held.set.modalities[1]!.length)] };
    const refNoThermal = argmaxRows(int8Logits(result.graph, noThermal), 6);
    const r = await classify(session, [await frameModalityInput(depthSpec!, files[0]!.depthFile), await frameModalityInput(thermalSpec!, undefined)]);
    assert.deepEqual(r.missing, ['thermal']);
    assert.equal(r.labelIndex, refNoThermal[0]);
  } finally {
    await session.release();
  }
});
