import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildArchitecture, type ArchitectureInput } from '../../src-main/model/architecture';
import type { ModelWeights } from '../../src-main/model/weights';
import { initEngine, lossAndGradient, trainableModel, type Batch } from '../../src-main/train/engine';
import { initWeights } from '../../src-main/train/initWeights';
import { seededRandom } from '../../src-main/train/random';

before(() => initEngine());

/** Every layer kind and option the engine implements, in two branches (one flattened, one pooled). */
const everyLayer: ArchitectureInput = {
  name: 'every-layer',
  classes: 3,
  modalities: [
    {
      name: 'a',
      input: [6, 5, 1],
      layers: [
        { kind: 'conv2d', name: 'conv_bn', filters: 3, kernel: [3, 3], activation: 'relu' },
        { kind: 'maxPool', name: 'max', size: [2, 2] },
        { kind: 'separableConv2d', name: 'sep', filters: 4, kernel: [2, 2], depthMultiplier: 2, activation: 'relu6' },
        { kind: 'globalAvgPool', name: 'gap' },
      ],
    },
    {
      name: 'b',
      input: [5, 5, 2],
      layers: [
        { kind: 'conv2d', name: 'conv_bias', filters: 2, kernel: [3, 3], stride: [2, 1], padding: 'valid', batchNorm: false, activation: 'none' },
        { kind: 'avgPool', name: 'avg', size: [1, 2], stride: [1, 1] },
        { kind: 'separableConv2d', name: 'sep_bias', filters: 2, kernel: [1, 2], padding: 'valid', batchNorm: false, activation: 'relu' },
      ],
    },
  ],
  head: [
    { kind: 'dense', name: 'fc_bn', units: 4, batchNorm: true, activation: 'relu' },
    { kind: 'dense', name: 'fc', units: 3, activation: 'relu6' },
  ],
};

function randomBatch(arch: ReturnType<typeof buildArchitecture>, count: number, seed: number): Batch {
  const r = seededRandom(seed);
  const modalities = arch.branches.map((b) => Float32Array.from({ length: count * b.input[0] * b.input[1] * b.input[2] }, () => r.normal()));
  const labels = Int32Array.from({ length: count }, (_, i) => i % arch.spec.classes);
  const teacherLogits = Float32Array.from({ length: count * arch.spec.classes }, () => 2 * r.normal());
  return { count, modalities, labels, teacherLogits };
}

test('gradients match central finite differences for every layer type and the distillation loss', () => {
  const arch = buildArchitecture(everyLayer);
  const weights = initWeights(arch, 7);
  // Non-trivial γ/β and biases so their gradients are not accidentally symmetric.
  const r = seededRandom(3);
  for (const ps of Object.values(weights.params)) for (const [k, v] of Object.entries(ps)) if (k !== 'kernel') for (let i = 0; i < v.length; i++) v[i]! += 0.3 * r.normal();
  const batch = randomBatch(arch, 6, 11);
  const loss = { classWeights: [1, 2, 0.5], alpha: 0.6, temperature: 2 };
  const analytic = lossAndGradient(arch, weights, batch, loss, 'float64');
  assert.ok(Number.isFinite(analytic.loss) && analytic.loss > 0);

  const at = (w: ModelWeights) => lossAndGradient(arch, w, batch, loss, 'float64').loss;
  // Directional derivatives per parameter tensor, along its gradient and along a random direction.
  // jax-js evaluates exp/log in float32 precision even for float64 arrays, so single-coordinate
  // differences drown in round-off; a unit step over a whole tensor keeps the signal well above it.
  // Small enough that few ReLU/max-pool kinks are crossed, large enough to stay above the round-off.
  const h = 3e-3;
  let checked = 0;
  for (const [layer, ps] of Object.entries(weights.params)) {
    for (const [name, values] of Object.entries(ps)) {
      const g = analytic.gradient[layer]![name]!;
      assert.equal(g.length, values.length, `${layer}.${name} gradient size`);
      const norm = Math.hypot(...g);
      const random = Array.from(g, () => r.normal());
      const rnorm = Math.hypot(...random);
      for (const [label, dir] of [['gradient', Array.from(g, (v) => v / norm)], ['random', random.map((v) => v / rnorm)]] as const) {
        const original = values.slice();
        const plus = Float32Array.from(original, (v, i) => v + h * dir[i]!);
        const minus = Float32Array.from(original, (v, i) => v - h * dir[i]!);
        // The step actually taken, after float32 rounding of the perturbed weights.
        const step = plus.reduce((s, v, i) => s + (v - minus[i]!) * dir[i]!, 0);
        values.set(plus);
        const lossPlus = at(weights);
        values.set(minus);
        const lossMinus = at(weights);
        values.set(original);
        const numeric = (lossPlus - lossMinus) / step;
        const expected = dir.reduce((s, d, i) => s + d * g[i]!, 0);
        assert.ok(
          Math.abs(numeric - expected) <= 2e-5 + 5e-3 * Math.abs(expected),
          `${layer}.${name} along the ${label}: analytic ${expected} vs numeric ${numeric}`,
        );
        checked++;
      }
      assert.ok(norm > 1e-4, `${layer}.${name} gets a gradient (norm ${norm})`);
    }
  }
  assert.equal(checked, 2 * 19, 'every parameter tensor checked');
});

test('plain cross-entropy ignores the teacher when alpha is 1', () => {
  const arch = buildArchitecture(everyLayer);
  const weights = initWeights(arch, 1);
  const batch = randomBatch(arch, 4, 2);
  const withTeacher = lossAndGradient(arch, weights, batch, { alpha: 1 }, 'float64');
  const { teacherLogits: _, ...noTeacher } = batch;
  const without = lossAndGradient(arch, weights, noTeacher, {}, 'float64');
  assert.equal(withTeacher.loss, without.loss);
  // Unweighted CE of 3 classes starts near ln 3 for a freshly initialised network.
  assert.ok(without.loss > 0.3 && without.loss < 5, `loss ${without.loss}`);
});

/** Two Gaussian blobs per class, separable by the mean of modality a alone. */
function toyProblem(count: number, seed: number): Batch {
  const r = seededRandom(seed);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  const a = new Float32Array(count * 16);
  const b = new Float32Array(count * 9);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < 16; j++) a[i * 16 + j] = r.normal() + (labels[i] ? 1 : -1);
    for (let j = 0; j < 9; j++) b[i * 9 + j] = r.normal();
  }
  return { count, modalities: [a, b], labels };
}

const toyArch: ArchitectureInput = {
  name: 'toy',
  classes: 2,
  modalities: [
    { name: 'a', input: [4, 4, 1], layers: [{ kind: 'conv2d', filters: 4, kernel: [3, 3] }, { kind: 'globalAvgPool' }] },
    { name: 'b', input: [3, 3, 1], layers: [{ kind: 'separableConv2d', filters: 2, kernel: [3, 3] }, { kind: 'globalAvgPool' }] },
  ],
  head: [{ kind: 'dense', units: 4 }],
};

test('training decreases the loss and separates a separable toy problem', () => {
  const arch = buildArchitecture(toyArch);
  const model = trainableModel(arch, initWeights(arch, 5), { learningRate: 0.02 });
  const batch = toyProblem(32, 9);
  const losses: number[] = [];
  for (let i = 0; i < 60; i++) losses.push(model.step(batch));
  const logits = model.logits(batch);
  let correct = 0;
  for (let i = 0; i < batch.count; i++) correct += Number((logits[2 * i + 1]! > logits[2 * i]!) === (batch.labels[i] === 1));
  model.dispose();
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(correct >= 30, `${correct}/32 correct`);
});

test('the same seed gives bit-identical weights; another seed does not', () => {
  const arch = buildArchitecture(toyArch);
  const batch = toyProblem(16, 4);
  const run = (seed: number) => {
    const model = trainableModel(arch, initWeights(arch, seed), { learningRate: 0.01, weightDecay: 1e-3 });
    for (let i = 0; i < 5; i++) model.step(batch);
    const w = model.weights();
    model.dispose();
    return w;
  };
  const first = run(42);
  assert.deepEqual(run(42), first);
  const other = run(43);
  assert.notDeepEqual(other.params, first.params);
  // Training moved the batch-norm running statistics away from their initial (0, 1).
  const bn = first.state['a/conv2d_0']!;
  assert.ok(bn.mean!.some((m) => m !== 0) && bn.variance!.some((v) => v !== 1));
});

test('setWeights and weights round-trip, and evaluation is batch-independent', () => {
  const arch = buildArchitecture(everyLayer);
  const start = initWeights(arch, 2);
  const model = trainableModel(arch, start, { learningRate: 0.01 });
  assert.deepEqual(model.weights(), start);
  const batch = randomBatch(arch, 4, 5);
  model.step(batch);
  const trained = model.weights();
  model.setWeights(start);
  assert.deepEqual(model.weights(), start);
  model.setWeights(trained);
  // Evaluation mode uses running statistics, so a sample's logits do not depend on its batch-mates.
  const all = model.logits(batch);
  const firstOnly = model.logits({ count: 1, modalities: arch.branches.map((b, i) => batch.modalities[i]!.subarray(0, b.input[0] * b.input[1] * b.input[2])) });
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(all[k]! - firstOnly[k]!) < 1e-5);
  const trace = model.trace(batch);
  assert.deepEqual(Object.keys(trace).sort(), [
    'a/conv_bn', 'a/gap', 'a/input', 'a/max', 'a/sep', 'a/sep/depthwise',
    'b/avg', 'b/conv_bias', 'b/input', 'b/sep_bias', 'b/sep_bias/depthwise',
    'fusion', 'head/fc', 'head/fc_bn', 'head/logits',
  ]);
  assert.deepEqual(Array.from(trace['head/logits']!), Array.from(all));
  assert.equal(trace["a/sep/depthwise"]!.length, 4 * 3 * 2 * 6); // [3, 2, 3·2] per sample
  assert.deepEqual(Array.from(trace['b/input']!), Array.from(batch.modalities[1]!));
  model.dispose();
});
