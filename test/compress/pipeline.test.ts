import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runPipeline, type Recipe } from '../../src-main/compress/pipeline';
import { paretoFront } from '../../src-main/compress/distillSearch';
import { int8Logits } from '../../src-main/compress/evaluateInt8';
import { parseInt8Graph } from '../../src-main/graph/int8GraphJson';
import { classify } from '../../src-main/infer/classify';
import { openModelSession } from '../../src-main/infer/modelSession';
import { loadPackage, scanModels } from '../../src-main/models/catalog';
import { writePipelinePackage } from '../../src-main/models/packageFromPipeline';
import { parseTargetLevel } from '../../src-main/planner/memoryFit';
import { trainableModel } from '../../src-main/train/engine';
import { predictLogits } from '../../src-main/train/fit';
import { argmaxRows } from '../../src-main/train/metrics';
import { indicesOfGroups, subset } from '../../src-main/train/sampleSet';
import { toyTask } from '../fixtures/toyTask';

const modalities = [
  { name: 'a', input: [12, 8, 1] as const },
  { name: 'b', input: [8, 8, 1] as const },
];
const data = toyTask(200, 5);
const groups = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, i) => `p${from + i}`));
const recipe: Recipe = {
  seed: 3,
  teacher: { widthMultiplier: 1, depth: 2, kernelSize: 3, denseUnits: 16 },
  students: [
    { widthMultiplier: 0.25, depth: 1, kernelSize: 3, denseUnits: 0 },
    { widthMultiplier: 0.5, depth: 2, kernelSize: 3, denseUnits: 8 },
    { widthMultiplier: 4, depth: 3, kernelSize: 5, denseUnits: 32 },
  ],
  fit: { epochs: 10, batchSize: 16, learningRate: 1e-2, patience: 10 },
  alpha: 0.5,
  temperature: 3,
  inputClip: 0,
  qatEpochs: 2,
};

test('teacher → memory-aware distillation → int8 → package → onnxruntime inference, end to end', async () => {
  const pipelineData = {
    train: subset(data, indicesOfGroups(data, groups(0, 30), true)),
    val: subset(data, indicesOfGroups(data, groups(30, 40), true)),
    test: subset(data, indicesOfGroups(data, groups(40, 50), true)),
    modalities,
    classes: 2,
  };
  const stages = new Set<string>();
  const result = await runPipeline(pipelineData, recipe, { level: parseTargetLevel('custom:tcm'), maxWeightBytes: 4096 }, (p) => stages.add(p.stage));
  assert.deepEqual([...stages], ['teacher', 'search', 'quantize', 'evaluate']);
  assert.ok(result.quantization.quantAwareValBalancedAccuracy !== undefined, 'quantization-aware fine-tuning ran');

  const wide = result.search.points.find((p) => p.shape.widthMultiplier === 4)!;
  assert.equal(wide.valBalancedAccuracy, undefined, 'a student over budget is never trained');
  assert.match(wide.cost.why!, /exceed the 4096 B cap/);
  const trained = result.search.points.filter((p) => p.valBalancedAccuracy !== undefined);
  assert.equal(trained.length, 2);
  assert.ok(result.search.chosen.point.cost.fits && result.plan.weightBytes <= 4096);
  assert.ok(trained.some((p) => p.onFront));

  const { teacher, studentFloat, studentInt8 } = result.test;
  console.log(`toy task test balanced accuracy: teacher ${teacher.balancedAccuracy}, student ${studentFloat.balancedAccuracy}, int8 ${studentInt8.balancedAccuracy}`);
  assert.ok(teacher.balancedAccuracy >= 0.85 && studentFloat.balancedAccuracy >= 0.85);
  assert.ok(studentInt8.balancedAccuracy >= studentFloat.balancedAccuracy - 0.05, 'int8 within 5 points of float');

  const dir = mkdtempSync(join(tmpdir(), 'tm2-package-'));
  try {
    const pkgDir = join(dir, 'toy-model');
    const frame = { kind: 'frame', width: 8, height: 12, unit: 'mm', min: 0, max: 1000 } as const;
    const meta = writePipelinePackage(
      pkgDir,
      {
        id: 'toy-model',
        name: 'Toy',
        version: '0.0.1',
        task: { kind: 'pose', description: 'test', labels: ['low', 'high'] },
        modalities: [
          { name: 'a', kind: 'depth', features: frame },
          { name: 'b', kind: 'thermal', features: { ...frame, width: 8, height: 8, unit: 'celsius' } },
        ],
        accuracy: [{ metric: 'balancedAccuracy', value: studentInt8.balancedAccuracy, method: 'toy split', dataset: 'toy' }],
        provenance: { dataset: 'toy' },
      },
      result,
    );
    assert.equal(meta.memory.weightBytes, result.plan.weightBytes);
    assert.ok(meta.memory.fits.some((f) => f.target === 'custom' && f.level === 'tcm' && f.fits));
    assert.deepEqual(meta.pareto.filter((p) => p.chosen).length, 1);
    assert.ok(meta.layers.some((l) => l.op === 'separableConv2d' && l.weightBytes > 0));
    const loaded = await loadPackage(pkgDir);
    assert.ok(!('reason' in loaded), JSON.stringify(loaded));

    // The int8 graph round-trips through its JSON file.
    const graph = parseInt8Graph(readFileSync(join(pkgDir, 'int8-graph.json'), 'utf8'), 'int8-graph.json');
    const testSet = pipelineData.test;
    const reference = int8Logits(graph, testSet);

    // onnxruntime on the package gives the reference's answer on every held-out sample.
    const session = await openModelSession(pkgDir);
    let agree = 0;
    for (let n = 0; n < testSet.count; n++) {
      const inputs = testSet.modalities.map((m, i) => ({ features: m.subarray(n * testSet.sampleSizes[i]!, (n + 1) * testSet.sampleSizes[i]!), fill: 0 }));
      const r = await classify(session, inputs);
      assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6);
      assert.ok(Math.abs(Object.values(r.contributions).reduce((a, b) => a + b, 0) - 1) < 1e-6);
      if (r.labelIndex === argmaxRows(reference.subarray(n * 2, n * 2 + 2), 2)[0]) agree++;
    }
    assert.equal(agree, testSet.count, 'onnxruntime and the int8 reference agree on every sample');
    const partial = await classify(session, [{ features: undefined, fill: 0 }, { features: testSet.modalities[1]!.subarray(0, 64), fill: 0 }]);
    assert.deepEqual(partial.missing, ['a']);
    assert.deepEqual(Object.keys(partial.contributions), ['b']);
    await assert.rejects(classify(session, [{ features: undefined, fill: 0 }, { features: undefined, fill: 0 }]), /no usable input/);
    await assert.rejects(classify(session, [{ features: new Float32Array(3), fill: 0 }, { features: undefined, fill: 0 }]), /modality 'a': 3 feature values, the model expects 96/);
    await session.release();

    // The float ONNX model computes the trained float model's logits.
    const float = await ort.InferenceSession.create(readFileSync(join(pkgDir, 'model.float.onnx')));
    const jax = trainableModel(result.student.arch, result.student.weights, { learningRate: 0 });
    const expected = predictLogits(jax, testSet);
    jax.dispose();
    let worst = 0;
    for (let n = 0; n < 5; n++) {
      const feeds = Object.fromEntries(modalities.map((m, i) => [m.name, new ort.Tensor('float32', testSet.modalities[i]!.slice(n * testSet.sampleSizes[i]!, (n + 1) * testSet.sampleSizes[i]!), [1, ...m.input])]));
      const got = (await float.run(feeds)).logits!.data as Float32Array;
      for (let c = 0; c < 2; c++) worst = Math.max(worst, Math.abs(got[c]! - expected[n * 2 + c]!));
    }
    await float.release();
    assert.ok(worst < 1e-3, `float ONNX differs from the trained model by ${worst}`);

    // A damaged file is caught by its SHA-256 and named.
    writeFileSync(join(pkgDir, 'model.int8.onnx'), 'not a model');
    const scan = await scanModels([{ dir, source: 'user' }]);
    assert.equal(scan.models.length, 0);
    assert.match(scan.problems[0]!.reason, /SHA-256 mismatch/);
    await assert.rejects(openModelSession(pkgDir), /model\.int8\.onnx: SHA-256 mismatch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Pareto front keeps exactly the non-dominated points', () => {
  const pts = [
    { bytes: 100, accuracy: 0.7 },
    { bytes: 200, accuracy: 0.8 },
    { bytes: 300, accuracy: 0.75 },
    { bytes: 100, accuracy: 0.6 },
    { bytes: 400, accuracy: 0.9 },
  ];
  assert.deepEqual(paretoFront(pts), [pts[0], pts[1], pts[4]]);
});
