/**
 * Test-only builder of executable int8 graphs with seeded weights, for planner cases built by hand and for
 * random graphs with any number of branches. Output scales follow the accumulator statistics (as in
 * test/fixtures/randomInt8Graph.ts) so activations use the int8 range and a corrupted arena shows.
 */
import type { Int8Graph, Int8Op, Int8Tensor, Padding4, QuantParams, TensorId } from '../../src-main/graph/int8Graph';
import { seededRandom, type Random } from '../../src-main/train/random';

const ACT_STD = 74;

export class GraphBuilder {
  private readonly tensors: Int8Tensor[] = [];
  private readonly ops: Int8Op[] = [];
  private readonly inputs: TensorId[] = [];
  private readonly modalities: string[] = [];
  readonly rnd: Random;

  constructor(
    private readonly name: string,
    seed: number,
  ) {
    this.rnd = seededRandom(seed);
  }

  private tensor(name: string, shape: readonly number[], dtype: 'int8' | 'int32', quant: QuantParams, data?: Int8Array | Int32Array): TensorId {
    const id = this.tensors.length;
    this.tensors.push({ id, name: `${name}#${id}`, shape: [...shape], dtype, quant, ...(data ? { data } : {}) });
    return id;
  }

  shape(id: TensorId): readonly number[] {
    return this.tensors[id]!.shape;
  }

  private scale(id: TensorId): number {
    return this.tensors[id]!.quant.scales[0]!;
  }

  private weights(name: string, shape: number[], inScale: number): { weights: TensorId; bias: TensorId } {
    const outC = shape[0]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const wScales = Array.from({ length: outC }, () => 0.002 + 0.004 * this.rnd.next());
    const weights = this.tensor(`${name}/w`, shape, 'int8', { scales: wScales, zeroPoint: 0 }, Int8Array.from({ length: n }, () => this.rnd.int(255) - 127));
    const bias = this.tensor(`${name}/b`, [outC], 'int32', { scales: wScales.map((s) => s * inScale), zeroPoint: 0 }, Int32Array.from({ length: outC }, () => Math.round(this.rnd.normal() * 2000)));
    return { weights, bias };
  }

  input(name: string, shape: readonly [number, number, number]): TensorId {
    const id = this.tensor(name, shape, 'int8', { scales: [0.03 + 0.03 * this.rnd.next()], zeroPoint: this.rnd.int(11) - 5 });
    this.inputs.push(id);
    this.modalities.push(name);
    return id;
  }

  conv(input: TensorId, outC: number, k: number, stride = 1, groups = 1, act: 'relu' | 'none' = 'relu'): TensorId {
    const [h, w, inC] = this.shape(input) as [number, number, number];
    const pad = Math.floor(k / 2);
    const padding: Padding4 = [pad, pad, pad, pad];
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    const perGroupIn = inC / groups;
    const inScale = this.scale(input);
    const { weights, bias } = this.weights('conv', [outC, k, k, perGroupIn], inScale);
    const outScale = (ACT_STD * ACT_STD * Math.sqrt(k * k * perGroupIn) * inScale * 0.004) / 45;
    const zp = act === 'relu' ? -128 : this.rnd.int(21) - 10;
    const output = this.tensor('conv/out', [oh, ow, outC], 'int8', { scales: [outScale], zeroPoint: zp });
    this.ops.push({ kind: 'conv2d', input, weights, bias, output, stride: [stride, stride], padding, groups, clamp: act === 'relu' ? [zp, 127] : [-128, 127] });
    return output;
  }

  pool(kind: 'maxPool' | 'avgPool', input: TensorId): TensorId {
    const [h, w, c] = this.shape(input) as [number, number, number];
    const output = this.tensor(`${kind}/out`, [Math.floor(h / 2), Math.floor(w / 2), c], 'int8', this.tensors[input]!.quant);
    this.ops.push({ kind, input, output, size: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] });
    return output;
  }

  globalPool(input: TensorId): TensorId {
    const c = this.shape(input)[2]!;
    const output = this.tensor('gap/out', [1, 1, c], 'int8', this.tensors[input]!.quant);
    this.ops.push({ kind: 'globalAvgPool', input, output });
    return output;
  }

  reshape(input: TensorId, shape: readonly number[]): TensorId {
    const output = this.tensor('reshape/out', shape, 'int8', this.tensors[input]!.quant);
    this.ops.push({ kind: 'reshape', input, output });
    return output;
  }

  flatten(input: TensorId): TensorId {
    return this.reshape(input, [this.shape(input).reduce((a, b) => a * b, 1)]);
  }

  add(a: TensorId, b: TensorId): TensorId {
    const output = this.tensor('add/out', this.shape(a), 'int8', { scales: [Math.max(this.scale(a), this.scale(b)) * 1.5], zeroPoint: -20 });
    this.ops.push({ kind: 'add', inputs: [a, b], output, clamp: [-128, 127] });
    return output;
  }

  concat(inputs: readonly TensorId[]): TensorId {
    const size = inputs.reduce((sum, id) => sum + this.shape(id)[0]!, 0);
    const output = this.tensor('concat/out', [size], 'int8', { scales: [Math.max(...inputs.map((id) => this.scale(id)))], zeroPoint: -100 });
    this.ops.push({ kind: 'concat', inputs, output });
    return output;
  }

  dense(input: TensorId, units: number, act: 'relu' | 'none' = 'relu'): TensorId {
    const n = this.shape(input).reduce((a, b) => a * b, 1);
    const inScale = this.scale(input);
    const { weights, bias } = this.weights('dense', [units, n], inScale);
    const zp = act === 'relu' ? -128 : 0;
    const output = this.tensor('dense/out', [units], 'int8', { scales: [(ACT_STD * ACT_STD * Math.sqrt(n) * inScale * 0.004) / 45], zeroPoint: zp });
    this.ops.push({ kind: 'dense', input, weights, bias, output, clamp: act === 'relu' ? [zp, 127] : [-128, 127] });
    return output;
  }

  softmax(input: TensorId): TensorId {
    const output = this.tensor('softmax/out', this.shape(input), 'int8', { scales: [1 / 256], zeroPoint: -128 });
    this.ops.push({ kind: 'softmax', input, output });
    return output;
  }

  /** Ops in the order they were added (which must be topological). */
  build(outputs: readonly TensorId[]): Int8Graph {
    return { name: this.name, tensors: [...this.tensors], ops: [...this.ops], inputs: [...this.inputs], modalities: [...this.modalities], outputs: [...outputs] };
  }
}

/**
 * A random graph shaped like architecture.ts produces: `branches` modality branches (conv, depthwise +
 * pointwise, pooling, residual adds, global pooling and flatten), concat, two dense layers, softmax.
 * Branch ops are emitted round-robin (interleaved) unless `sequential`, so the graph's own order is a
 * different member of the order family than the planner's branch-first candidates.
 */
export function randomBranchGraph(seed: number, branches: number, sequential = false): Int8Graph {
  const g = new GraphBuilder(`random-${branches}-branch-${seed}`, seed);
  type Step = (x: TensorId) => TensorId;
  const plans: { input: TensorId; steps: Step[] }[] = [];
  for (let b = 0; b < branches; b++) {
    const h = 6 + g.rnd.int(15);
    const w = 4 + g.rnd.int(13);
    const input = g.input(`m${b}`, [h, w, 1 + g.rnd.int(2)]);
    const steps: Step[] = [];
    let hw = Math.min(h, w);
    const layers = 2 + g.rnd.int(4);
    for (let l = 0; l < layers; l++) {
      const choice = g.rnd.int(5);
      const filters = 2 + g.rnd.int(10);
      if (choice === 0 && hw >= 4) {
        steps.push((x) => g.pool(g.rnd.next() < 0.5 ? 'maxPool' : 'avgPool', x));
        hw = Math.floor(hw / 2);
      } else if (choice === 1) {
        steps.push((x) => g.conv(g.conv(x, g.shape(x)[2]!, 3, 1, g.shape(x)[2]!), filters, 1));
      } else if (choice === 2) {
        steps.push((x) => {
          const y = g.conv(x, filters, 3, 1, 1, 'none');
          return g.add(y, g.conv(y, filters, 1, 1, 1, 'none'));
        });
      } else {
        const stride = hw >= 6 && g.rnd.next() < 0.4 ? 2 : 1;
        steps.push((x) => g.conv(x, filters, g.rnd.next() < 0.7 ? 3 : 1, stride));
        if (stride === 2) hw = Math.floor((hw - 1) / 2) + 1;
      }
    }
    steps.push((x) => g.flatten(g.globalPool(x)));
    plans.push({ input, steps });
  }
  const current = plans.map((p) => p.input);
  const maxSteps = Math.max(...plans.map((p) => p.steps.length));
  if (sequential) {
    plans.forEach((p, b) => p.steps.forEach((step) => (current[b] = step(current[b]!))));
  } else {
    for (let s = 0; s < maxSteps; s++) {
      plans.forEach((p, b) => {
        const step = p.steps[s];
        if (step) current[b] = step(current[b]!);
      });
    }
  }
  const fused = g.concat(current);
  const probs = g.softmax(g.dense(g.dense(fused, 8 + g.rnd.int(8)), 3, 'none'));
  return g.build([probs]);
}
