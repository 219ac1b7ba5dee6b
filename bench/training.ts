/**
 * How fast the engine trains, on one core (jax-js runs single-threaded; cross-validation runs one
 * worker per core). Two parts:
 *  - ops: each convolution and pooling op of the model family, forward and both gradients on a batch of
 *    32, as the engine computes it (train/nhwcOps.ts) and as jax-js's `lax` ops would, with the largest
 *    difference between the two so the comparison is of the same function;
 *  - models: Adam steps per second (as samples/s) and evaluation samples/s for the default audio and pose
 *    teachers and students, on random inputs of their real shapes.
 * CPU time, not wall time, as in bench/features.ts: shared machines stretch the wall clock, not the work.
 *
 *   npm run bench:training   → bench/results/training.json
 */
import { jit, lax, numpy as np, valueAndGrad } from '@jax-js/jax';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StudentShape } from '../src-main/compress/distillSearch';
import { buildArchitecture, type Shape3 } from '../src-main/model/architecture';
import { tinyM2Net } from '../src-main/model/tinyM2Net';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { SCREENING_AUDIO_MODALITIES, DEFAULT_AUDIO_RECIPE } from '../src-main/train/audioRecipe';
import { initEngine, trainableModel } from '../src-main/train/engine';
import { initWeights } from '../src-main/train/initWeights';
import { conv2d, depthwiseConv, pointwiseConv, pool } from '../src-main/train/nhwcOps';
import { DEFAULT_POSE_RECIPE, POSE_FEATURES } from '../src-main/train/poseRecipe';
import { seededRandom, type Random } from '../src-main/train/random';

type JArray = np.Array;
const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, 'results', 'training.json');
const BATCH = 32;

function cpuSeconds(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function randomValues(n: number, random: Random): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = random.next() * 2 - 1;
  return a;
}

interface OpCase {
  readonly op: string;
  readonly input: readonly number[];
  readonly weights: readonly number[];
  readonly engine: (w: JArray, x: JArray) => JArray;
  readonly lax: (w: JArray, x: JArray) => JArray;
}

const nchw = (x: JArray) => x.transpose([0, 3, 1, 2]);
const nhwc = (x: JArray) => x.transpose([0, 2, 3, 1]);
const same3: [number, number][] = [
  [1, 1],
  [1, 1],
];

/** Shapes of the pose teacher's depth branch (w1.5: 12 then 24 filters at 30×40 and 15×20). */
const OP_CASES: readonly OpCase[] = [
  { op: 'conv2d 3×3, 1→12, 30×40', input: [BATCH, 30, 40, 1], weights: [12, 1, 3, 3], engine: (w, x) => conv2d(x, w, [1, 1], [1, 1, 1, 1]), lax: (w, x) => nhwc(lax.convGeneralDilated(nchw(x), w, [1, 1], same3)) },
  { op: 'conv2d 3×3, 12→24, 15×20', input: [BATCH, 15, 20, 12], weights: [24, 12, 3, 3], engine: (w, x) => conv2d(x, w, [1, 1], [1, 1, 1, 1]), lax: (w, x) => nhwc(lax.convGeneralDilated(nchw(x), w, [1, 1], same3)) },
  {
    op: 'depthwise 3×3, 12 ch, 15×20',
    input: [BATCH, 15, 20, 12],
    weights: [12, 1, 3, 3],
    engine: (w, x) => depthwiseConv(x, w, [1, 1], [1, 1, 1, 1]),
    lax: (w, x) => nhwc(lax.convGeneralDilated(nchw(x), w, [1, 1], same3, { featureGroupCount: 12 })),
  },
  { op: 'pointwise 12→24, 15×20', input: [BATCH, 15, 20, 12], weights: [24, 12, 1, 1], engine: (w, x) => pointwiseConv(x, w), lax: (w, x) => nhwc(lax.convGeneralDilated(nchw(x), w, [1, 1], 'VALID')) },
  {
    op: 'max pool 2×2, 12 ch, 30×40',
    input: [BATCH, 30, 40, 12],
    weights: [12],
    engine: (w, x) => pool(x.mul(w.reshape([1, 1, 1, 12])), 'max', [2, 2], [2, 2]),
    lax: (w, x) => nhwc(lax.reduceWindow(nchw(x.mul(w.reshape([1, 1, 1, 12]))), (win) => np.max(win), [2, 2], [2, 2])),
  },
];

interface OpResult {
  readonly op: string;
  readonly engineMs: number;
  readonly laxMs: number;
  readonly speedup: number;
  /** Largest |engine − lax| over the op's outputs, relative to the largest |output|. */
  readonly maxRelativeDifference: number;
}

function opTiming(c: OpCase, repeats: number): OpResult {
  const random = seededRandom(7);
  const x = randomValues(c.input.reduce((a, b) => a * b, 1), random);
  const w = randomValues(c.weights.reduce((a, b) => a * b, 1), random);
  const arrays = () => ({ w: np.array(w).reshape([...c.weights]), x: np.array(x).reshape([...c.input]) });
  const outputs: Float32Array[] = [];
  const ms = (f: OpCase['engine']): number => {
    const step = jit(valueAndGrad((p: { w: JArray; x: JArray }) => {
      const y = f(p.w, p.x);
      return y.ref.mul(y).sum();
    }));
    const run = () => {
      const [value, grads] = step(arrays());
      value.dataSync();
      grads.w.dataSync();
      grads.x.dataSync();
    };
    run();
    const seconds = cpuSeconds(() => {
      for (let r = 0; r < repeats; r++) run();
    });
    step.dispose();
    const a = arrays();
    outputs.push(Float32Array.from(f(a.w, a.x).dataSync()));
    return (seconds / repeats) * 1000;
  };
  const engineMs = ms(c.engine);
  const laxMs = ms(c.lax);
  const [e, l] = outputs as [Float32Array, Float32Array];
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(e[i]! - l[i]!));
    scale = Math.max(scale, Math.abs(l[i]!));
  }
  return { op: c.op, engineMs: round(engineMs), laxMs: round(laxMs), speedup: round(laxMs / engineMs), maxRelativeDifference: diff / (scale || 1) };
}

interface ModelCase {
  readonly model: string;
  readonly inputs: readonly Shape3[];
  readonly classes: number;
  readonly shape: StudentShape;
}

interface ModelResult {
  readonly model: string;
  readonly parameters: number;
  readonly macs: number;
  readonly trainSamplesPerSecond: number;
  readonly evalSamplesPerSecond: number;
}

function modelTiming(c: ModelCase, steps: number): ModelResult {
  const arch = buildArchitecture(tinyM2Net({ name: c.model, modalities: c.inputs.map((input, i) => ({ name: `m${i}`, input })), classes: c.classes, ...c.shape }));
  const model = trainableModel(arch, initWeights(arch, 1), { learningRate: 1e-3 });
  const random = seededRandom(3);
  const modalities = c.inputs.map((s) => randomValues(BATCH * s[0] * s[1] * s[2], random));
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % c.classes);
  model.step({ count: BATCH, modalities, labels });
  model.logits({ count: BATCH, modalities });
  const train = cpuSeconds(() => {
    for (let s = 0; s < steps; s++) model.step({ count: BATCH, modalities, labels });
  });
  const evaluate = cpuSeconds(() => {
    for (let s = 0; s < steps; s++) model.logits({ count: BATCH, modalities });
  });
  model.dispose();
  return { model: c.model, parameters: arch.params, macs: arch.macs, trainSamplesPerSecond: round((steps * BATCH) / train), evalSamplesPerSecond: round((steps * BATCH) / evaluate) };
}

const round = (x: number) => Math.round(x * 100) / 100;

await initEngine();
const audioInputs = SCREENING_AUDIO_MODALITIES.map((m): Shape3 => [m.features.frames, m.features.melBands, 1]);
const poseInputs: Shape3[] = [
  [POSE_FEATURES.depth.height, POSE_FEATURES.depth.width, 1],
  [POSE_FEATURES.thermal.height, POSE_FEATURES.thermal.width, 1],
];
const bundledAudioStudent: StudentShape = { widthMultiplier: 0.75, depth: 3, kernelSize: 3, denseUnits: 8 };
const modelCases: ModelCase[] = [
  { model: 'audio teacher', inputs: audioInputs, classes: 2, shape: DEFAULT_AUDIO_RECIPE.teacher },
  { model: 'audio student (bundled shape)', inputs: audioInputs, classes: 2, shape: bundledAudioStudent },
  { model: 'pose teacher', inputs: poseInputs, classes: 6, shape: DEFAULT_POSE_RECIPE.teacher },
  { model: 'pose student', inputs: poseInputs, classes: 6, shape: DEFAULT_POSE_RECIPE.students[0]! },
];

const started = Date.now();
const load = loadavg()[0]!;
const ops: OpResult[] = [];
for (const c of OP_CASES) {
  const r = opTiming(c, 10);
  console.log(`${c.op.padEnd(32)} engine ${r.engineMs.toFixed(1).padStart(7)} ms   lax ${r.laxMs.toFixed(1).padStart(7)} ms   ×${r.speedup.toFixed(1)}`);
  ops.push(r);
}
const models: ModelResult[] = [];
for (const c of modelCases) {
  const r = modelTiming(c, 20);
  console.log(`${c.model.padEnd(32)} train ${r.trainSamplesPerSecond.toFixed(0).padStart(6)} samples/s   eval ${r.evalSamplesPerSecond.toFixed(0).padStart(6)} samples/s`);
  models.push(r);
}
const result = {
  benchmark: 'training',
  method: `CPU seconds (user + system) on one core, batch ${BATCH}, after one warm-up call; ops: forward + gradients of sum(y²) with respect to weights and input`,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'unknown', node: process.version, loadAtStart: round(load) },
  ops,
  models,
  wallSeconds: (Date.now() - started) / 1000,
  at: new Date().toISOString(),
};
writeFileAtomic(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${outFile}`);
