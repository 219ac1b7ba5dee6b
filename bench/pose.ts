/**
 * `npm run bench:pose` → bench/results/pose.json. The bundled pose model (resources/models/pose-depth-thermal)
 * on its held-out generated set (unseen scene seed and unseen subject bodies): accuracy and per-class
 * confusion of the float teacher, the float student and the int8 student (reference kernels, the integers
 * the devices run), clean and with one sensor missing or degraded, plus int8 bytes and peak activations per
 * target. The teacher and float student come from .cache/pose-default (left by `npm run train:default-pose`);
 * without them the float student falls back to the package's float ONNX and the teacher is left out.
 * Option: --package <dir> benches another package of the same task (its float ONNX stands for the student).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { int8Logits } from '../src-main/compress/evaluateInt8';
import type { DepthFrame } from '../src-main/frames/depthFrame';
import { importLabelledSet, type PoseSample } from '../src-main/frames/labelledSet';
import { poseSampleSet } from '../src-main/frames/poseSamples';
import type { ThermalFrame } from '../src-main/frames/thermalFrame';
import { dequantizeValues, quantizeTensorValues } from '../src-main/compress/quantize';
import { openModelSession } from '../src-main/infer/modelSession';
import { parseInt8Graph } from '../src-main/graph/int8GraphJson';
import { readFloatModel } from '../src-main/model/weightsFile';
import { modelPackageMetaSchema } from '../src-main/models/packageMeta';
import { repoRoot } from '../src-main/storage/appPaths';
import { trainableModel } from '../src-main/train/engine';
import { predictLogits } from '../src-main/train/fit';
import { accuracy, argmaxRows, balancedAccuracy, confusionMatrix } from '../src-main/train/metrics';
import { DEFAULT_POSE_DATA, POSE_FEATURES, POSE_LABELS } from '../src-main/train/poseRecipe';
import { ensurePoseSet } from '../src-main/train/poseTrainingData';
import { seededRandom } from '../src-main/train/random';
import type { SampleSet } from '../src-main/train/sampleSet';

const t0 = performance.now();
const packageArg = process.argv.indexOf('--package');
const defaultPackage = resolve(repoRoot, 'resources', 'models', 'pose-depth-thermal');
const packageDir = packageArg > 0 ? resolve(process.argv[packageArg + 1] ?? '') : defaultPackage;
const meta = modelPackageMetaSchema.parse(JSON.parse(readFileSync(join(packageDir, 'model.json'), 'utf8')));
const graphFile = join(packageDir, meta.files.int8Graph ?? 'int8-graph.json');
const graph = parseInt8Graph(readFileSync(graphFile, 'utf8'), graphFile);
const features = { depth: meta.modalities[0]!.features, thermal: meta.modalities[1]!.features };
if (features.depth.kind !== 'frame' || features.thermal.kind !== 'frame') throw new Error(`${packageDir}: model.json: modalities are not depth + thermal frames`);
const frames = { depth: features.depth, thermal: features.thermal };
if (JSON.stringify(frames) !== JSON.stringify(POSE_FEATURES)) console.log('note: the package records other frame features than POSE_FEATURES; using the package\'s');

const testDir = resolve(repoRoot, '.cache', 'posegen', 'test');
console.log(`held-out set: ${await ensurePoseSet(testDir, DEFAULT_POSE_DATA.test, DEFAULT_POSE_DATA.depthSize, DEFAULT_POSE_DATA.thermalSize)} ${testDir}`);
const { samples } = await importLabelledSet(testDir, { depthSize: frames.depth, thermalSize: frames.thermal });

// Degradations act on the frames in physical units at the model's input size, before normalisation.
const random = seededRandom(2024);
const dropDepth = (d: DepthFrame, share: number): DepthFrame => ({ ...d, mm: d.mm.map((v) => (random.next() < share ? 0 : v)) });
const warmNoisy = (t: ThermalFrame, offsetK: number, noiseK: number): ThermalFrame => ({ ...t, celsius: t.celsius.map((c) => c + offsetK + noiseK * random.normal()) });
const conditions: Record<string, (s: PoseSample) => PoseSample> = {
  clean: (s) => s,
  depthAbsent: (s) => s,
  thermalAbsent: (s) => s,
  depthDropout50: (s) => ({ ...s, depth: dropDepth(s.depth, 0.5) }),
  thermalOffset3KNoise1K: (s) => ({ ...s, thermal: warmNoisy(s.thermal, 3, 1) }),
};
const absent = (set: SampleSet, m: number): SampleSet => ({ ...set, modalities: set.modalities.map((v, i) => (i === m ? new Float32Array(v.length) : v)), present: set.present.map((p) => p.map((x, i) => x && i !== m)) });
const sets: Record<string, SampleSet> = {};
for (const [name, degrade] of Object.entries(conditions)) {
  const set = poseSampleSet(samples.map(degrade), { ...frames, labels: POSE_LABELS });
  sets[name] = name === 'depthAbsent' ? absent(set, 0) : name === 'thermalAbsent' ? absent(set, 1) : set;
}

const classes = POSE_LABELS.length;
type Scorer = (set: SampleSet) => Promise<Float32Array> | Float32Array;
// onnxruntime runs the int8 model (fast); the reference kernels (the spec) check it on the clean set below.
const int8Session = await openModelSession(packageDir);
const scorers: Record<string, Scorer> = {
  studentInt8: async (set: SampleSet) => {
    const out = new Float32Array(set.count * classes);
    for (let n = 0; n < set.count; n++) {
      const q = meta.modalities.map((_, i) => quantizeTensorValues(set.modalities[i]!.subarray(n * set.sampleSizes[i]!, (n + 1) * set.sampleSizes[i]!), { scales: [int8Session.io.inputs[i]!.scale], zeroPoint: int8Session.io.inputs[i]!.zeroPoint }));
      out.set(dequantizeValues(await int8Session.run(q), { scales: [int8Session.io.logits.scale], zeroPoint: int8Session.io.logits.zeroPoint }), n * classes);
    }
    return out;
  },
};
const cache = resolve(repoRoot, '.cache', 'pose-default');
const floatSource: Record<string, string> = {};
for (const which of packageDir === defaultPackage ? (['teacher', 'student'] as const) : []) {
  const file = join(cache, `${which}.json`);
  if (!existsSync(file)) continue;
  const { arch, weights } = readFloatModel(file);
  scorers[`${which}Float`] = (set) => {
    const model = trainableModel(arch, weights, { learningRate: 0 });
    try {
      return predictLogits(model, set);
    } finally {
      model.dispose();
    }
  };
  floatSource[`${which}Float`] = file;
}
if (!scorers.studentFloat) {
  const session = await ort.InferenceSession.create(readFileSync(join(packageDir, meta.files.floatOnnx ?? 'model.float.onnx')));
  scorers.studentFloat = async (set) => {
    const out = new Float32Array(set.count * classes);
    for (let n = 0; n < set.count; n++) {
      const feeds = Object.fromEntries(meta.modalities.map((m, i) => [m.name, new ort.Tensor('float32', set.modalities[i]!.slice(n * set.sampleSizes[i]!, (n + 1) * set.sampleSizes[i]!), [1, ...m.inputShape])]));
      out.set((await session.run(feeds)).logits!.data as Float32Array, n * classes);
    }
    return out;
  };
  floatSource.studentFloat = join(packageDir, 'model.float.onnx');
}

const variants: Record<string, Record<string, { accuracy: number; balancedAccuracy: number; perClassRecall: Record<string, number>; confusion?: number[][] }>> = {};
for (const [variant, score] of Object.entries(scorers)) {
  variants[variant] = {};
  for (const [condition, set] of Object.entries(sets)) {
    const t = performance.now();
    const confusion = confusionMatrix(set.labels, argmaxRows(await score(set), classes), classes);
    const perClassRecall = Object.fromEntries(POSE_LABELS.map((l, c) => [l, confusion[c]![c]! / Math.max(1, confusion[c]!.reduce((a, b) => a + b, 0))]));
    variants[variant]![condition] = { accuracy: accuracy(confusion), balancedAccuracy: balancedAccuracy(confusion), perClassRecall, ...(condition === 'clean' ? { confusion } : {}) };
    console.log(`${variant} ${condition}: ${(accuracy(confusion) * 100).toFixed(1)} % (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
}

const referenceT = performance.now();
const reference = argmaxRows(int8Logits(graph, sets.clean!), classes);
const onnx = argmaxRows(await scorers.studentInt8!(sets.clean!), classes);
const int8Agreement = reference.filter((c, n) => c === onnx[n]).length / reference.length;
await int8Session.release();
console.log(`int8 reference kernels vs onnxruntime on the clean set: ${(int8Agreement * 100).toFixed(2)} % same answers (${((performance.now() - referenceT) / 1000).toFixed(0)} s)`);

const clean = (v: string) => variants[v]?.clean?.accuracy;
const result = {
  benchmark: 'pose',
  task: `body pose (${POSE_LABELS.join(', ')}) from depth + thermal frames`,
  method: `held-out generated set: ${samples.length} samples, scene seed ${DEFAULT_POSE_DATA.test.seed} and subject seed ${DEFAULT_POSE_DATA.test.subjectSeed} (no seed or body shared with training); accuracy = share correct, classes balanced`,
  conditions: {
    clean: 'frames as generated, area-averaged to the model input',
    depthAbsent: 'depth replaced by its absent value (every pixel "no reading")',
    thermalAbsent: 'thermal replaced by its absent value',
    depthDropout50: '50 % of depth input pixels set to "no reading" (seeded)',
    thermalOffset3KNoise1K: 'thermal +3 K offset plus Gaussian noise of 1 K per pixel (seeded)',
  },
  labels: POSE_LABELS,
  confusionRows: 'true class',
  int8Runtime: 'onnxruntime-node on model.int8.onnx; int8ReferenceAgreement = share of clean samples where the reference kernels (int8-graph.json) give the same class',
  int8ReferenceAgreement: int8Agreement,
  floatModels: floatSource,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  model: {
    id: meta.id,
    version: meta.version,
    student: meta.pareto.find((p) => p.chosen)?.label,
    int8WeightBytes: meta.memory.weightBytes,
    peakActivationBytes: meta.memory.peakActivationBytes,
    scratchBytes: meta.memory.scratchBytes,
    parameters: meta.memory.parameters,
    macs: meta.memory.macs,
    fits: meta.memory.fits,
    recordedAccuracy: meta.accuracy.map((a) => ({ variant: a.variant, metric: a.metric, value: a.value })),
  },
  variants,
  goals: {
    int8AtLeastPaper907: (clean('studentInt8') ?? 0) >= 0.907,
    int8WithinTwoPointsOfTeacher: clean('teacherFloat') === undefined ? null : clean('teacherFloat')! - clean('studentInt8')! <= 0.02,
    weightsAtMost58KB: meta.memory.weightBytes <= 58 * 1024,
  },
  wallSeconds: (performance.now() - t0) / 1000,
  at: new Date().toISOString(),
};
const outDir = resolve(repoRoot, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, packageDir === defaultPackage ? 'pose.json' : 'pose-other.json');
writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
