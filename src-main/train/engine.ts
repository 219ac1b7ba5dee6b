/**
 * The numeric engine: with its op set (nhwcOps.ts) the one module that knows about jax-js (wasm backend,
 * `jit` + `valueAndGrad`), so it can be swapped without touching the trainer, distillation or quantization.
 *
 * Outside this file a model is an architecture plus plain Float32Array weights (model/weights.ts)
 * and inputs are plain NHWC Float32Arrays per modality. Inside, activations stay NHWC: convolutions and
 * pools are slices, broadcasts and matmuls (nhwcOps.ts), many times faster than jax-js's wasm conv.
 *
 * jax-js frees device memory by reference counting: every function consumes its array arguments,
 * `.ref` adds a reference. Every array made here is either handed to a consuming call or disposed.
 */
import { defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { allLayers, type BuiltArchitecture, type BuiltLayer } from '../model/architecture';
import { BATCH_NORM_EPSILON, type ModelWeights, type ParamTree } from '../model/weights';
import { conv2d, depthwiseConv, pointwiseConv, pool } from './nhwcOps';

type JArray = np.Array;
type JTree = Record<string, Record<string, JArray>>;

/** Batch-norm running statistics move this far towards each batch's. */
const BATCH_NORM_MOMENTUM = 0.9;

let ready: Promise<void> | undefined;

/** Starts the wasm backend once per process (worker threads each start their own). */
export function initEngine(): Promise<void> {
  ready ??= init('wasm').then((devices) => {
    if (!devices.includes('wasm')) throw new Error(`engine: jax-js wasm backend unavailable (got ${devices.join(', ')})`);
    defaultDevice('wasm');
  });
  return ready;
}

/** One minibatch; each modality's samples are NHWC, `count` of them back to back. */
export interface Inputs {
  readonly count: number;
  readonly modalities: readonly Float32Array[];
}

export interface Batch extends Inputs {
  readonly labels: Int32Array;
  /** Teacher logits [count, classes] for distillation; absent for plain training. */
  readonly teacherLogits?: Float32Array;
}

export interface LossOptions {
  /** Per-class weights for the cross-entropy (imbalanced labels); all 1 when absent. */
  readonly classWeights?: readonly number[];
  /** Weight of the hard-label cross-entropy; the distillation term gets 1 − alpha. Default 1. */
  readonly alpha?: number;
  readonly temperature?: number;
}

/**
 * Quantization-aware training: the forward pass sees what the int8 model will compute. Batch-norm is
 * frozen at its running statistics and folded into the weights as quantize.ts folds it; weights are
 * fake-quantized per output channel (symmetric, ±127) and every activation the int8 graph stores is
 * fake-quantized with its calibrated range. Gradients pass straight through the rounding (STE).
 */
export interface QuantAwareOptions {
  /** Calibrated float ranges by traced tensor name (compress/calibrate.ts). */
  readonly ranges: ReadonlyMap<string, { readonly min: number; readonly max: number }>;
}

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled (AdamW) weight decay. */
  readonly weightDecay?: number;
}

type Precision = 'float32' | 'float64';

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function toArray(values: Float32Array, shape: readonly number[], precision: Precision, where: string): JArray {
  if (values.length !== product(shape)) {
    throw new Error(`engine: ${where} has ${values.length} values, expected ${product(shape)} for shape [${shape.join(', ')}]`);
  }
  const a = np.array(values).reshape([...shape]);
  return precision === 'float32' ? a : a.astype(np.float64);
}

function toTree(arch: BuiltArchitecture, values: ParamTree, which: 'paramShapes' | 'stateShapes', precision: Precision): JTree {
  const out: JTree = {};
  for (const layer of allLayers(arch)) {
    const shapes = layer[which];
    const names = Object.keys(shapes);
    if (!names.length) continue;
    const given = values[layer.name];
    if (!given) throw new Error(`engine: weights have no entry for layer "${layer.name}"`);
    out[layer.name] = Object.fromEntries(
      names.map((n) => {
        const v = given[n];
        if (!v) throw new Error(`engine: layer "${layer.name}" is missing its "${n}"`);
        return [n, toArray(v, shapes[n]!, precision, `layer "${layer.name}" ${n}`)];
      }),
    );
  }
  return out;
}

/** Reads a tree back to Float32Arrays, consuming it. */
function fromTree(t: JTree): ParamTree {
  return Object.fromEntries(
    Object.entries(t).map(([layer, ps]) => [layer, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, Float32Array.from(v.dataSync())]))]),
  );
}

function inputArrays(arch: BuiltArchitecture, inputs: Inputs, precision: Precision): JArray[] {
  if (inputs.modalities.length !== arch.branches.length) {
    throw new Error(`engine: ${inputs.modalities.length} input modalities given, the model has ${arch.branches.length}`);
  }
  return arch.branches.map((b, i) => toArray(inputs.modalities[i]!, [inputs.count, ...b.input], precision, `input "${b.modality}"`));
}

/** Batch statistics collected in training mode, to update the running ones. */
type Stats = JTree;

/**
 * Batch-norm over every axis except `channelAxis`. Training mode normalises with the batch's
 * statistics (and records them), evaluation mode with the running ones.
 */
function batchNorm(x: JArray, p: Record<string, JArray>, s: Record<string, JArray> | undefined, layer: BuiltLayer, train: boolean, stats: Stats): JArray {
  const channels = layer.outShape[layer.outShape.length - 1]!;
  const spatial = x.ndim === 4;
  const axes = spatial ? [0, 1, 2] : [0];
  const bshape = spatial ? [1, 1, 1, channels] : [1, channels];
  let mean: JArray;
  let variance: JArray;
  if (train) {
    mean = x.ref.mean(axes, { keepdims: true });
    variance = np.square(x.ref.sub(mean.ref)).mean(axes, { keepdims: true });
    stats[layer.name] = { mean: lax.stopGradient(mean.ref.reshape([channels])), variance: lax.stopGradient(variance.ref.reshape([channels])) };
  } else {
    mean = s!.mean!.reshape(bshape);
    variance = s!.variance!.reshape(bshape);
  }
  const normalised = x.sub(mean).div(np.sqrt(variance.add(BATCH_NORM_EPSILON)));
  return normalised.mul(p.gamma!.reshape(bshape)).add(p.beta!.reshape(bshape));
}

function biasOrBatchNorm(x: JArray, layer: BuiltLayer, p: Record<string, JArray>, s: Record<string, JArray> | undefined, train: boolean, stats: Stats): JArray {
  if (p.gamma) return batchNorm(x, p, s, layer, train, stats);
  const channels = layer.outShape[layer.outShape.length - 1]!;
  return x.add(p.bias!.reshape(x.ndim === 4 ? [1, 1, 1, channels] : [1, channels]));
}

function activate(x: JArray, activation: 'none' | 'relu' | 'relu6'): JArray {
  if (activation === 'relu') return nn.relu(x);
  if (activation === 'relu6') return nn.relu6(x);
  return x;
}

/** The int8 grid of a calibrated range: the same formula as compress/quantize.ts' activationQuant. */
function gridOf(range: { min: number; max: number }): { scale: number; zeroPoint: number } {
  const min = Math.min(0, range.min);
  let max = Math.max(0, range.max);
  if (max - min < 1e-8) max = min + 1e-8;
  const scale = (max - min) / 255;
  return { scale, zeroPoint: Math.min(127, Math.max(-128, Math.round(-128 - min / scale))) };
}

/** x + stopGradient(q(x) − x): the forward value is the int8 grid's, the gradient is the identity's. */
function straightThrough(x: JArray, quantized: JArray): JArray {
  return x.ref.add(lax.stopGradient(quantized.sub(x)));
}

function fakeQuantActivation(x: JArray, grid: { scale: number; zeroPoint: number } | undefined): JArray {
  if (!grid) return x;
  const q = np.clip(np.round(x.ref.div(grid.scale)).add(grid.zeroPoint), -128, 127);
  return straightThrough(x, q.sub(grid.zeroPoint).mul(grid.scale));
}

/** Per-channel symmetric int8 weights along `channelAxis` (0 for OIHW kernels, 1 for dense [in, out]). */
function fakeQuantWeights(w: JArray, channelAxis: number): JArray {
  const axes = w.shape.map((_, i) => i).filter((i) => i !== channelAxis);
  const scale = lax.stopGradient(np.max(np.abs(w.ref), axes, { keepdims: true }).div(127).add(1e-12));
  const q = np.clip(np.round(w.ref.div(scale.ref)), -127, 127).mul(scale);
  return straightThrough(w, q);
}

export interface ForwardResult {
  readonly logits: JArray;
  readonly stats: Stats;
  /** Every intermediate tensor by name (NHWC flattened per sample), only when traced. */
  readonly trace?: Record<string, JArray>;
}

/**
 * The whole multimodal graph. Consumes `params`, `state` (when evaluating) and `xs`.
 * Traced tensor names match the ones quantization calibrates: `<modality>/input`, each layer's name,
 * `<layer>/depthwise` for the separable half, `fusion`, and `head/logits`.
 */
function forward(arch: BuiltArchitecture, params: JTree, state: JTree, xs: JArray[], train: boolean, traced: boolean, qat?: QuantAwareOptions): ForwardResult {
  const stats: Stats = {};
  const grids = qat ? new Map([...qat.ranges].map(([k, r]) => [k, gridOf(r)])) : undefined;
  const fq = (x: JArray, name: string) => (grids ? fakeQuantActivation(x, grids.get(name)) : x);
  /** Frozen batch-norm folded into (kernel, bias) as quantize.ts does, kernel fake-quantized per channel. */
  const folded = (layer: BuiltLayer, kernel: JArray, channelAxis: number): { kernel: JArray; bias: JArray } => {
    const p = params[layer.name]!;
    const channels = layer.outShape[layer.outShape.length - 1]!;
    const kshape = kernel.shape.map((d, i) => (i === channelAxis ? d : 1));
    if (p.gamma) {
      const st = state[layer.name]!;
      const scale = p.gamma.div(np.sqrt(st.variance!.ref.add(BATCH_NORM_EPSILON)));
      const bias = p.beta!.sub(st.mean!.ref.mul(scale.ref));
      return { kernel: fakeQuantWeights(kernel.mul(scale.reshape(kshape)), channelAxis), bias: bias.reshape([channels]) };
    }
    return { kernel: fakeQuantWeights(kernel, channelAxis), bias: p.bias! };
  };
  const trace: Record<string, JArray> | undefined = traced ? {} : undefined;
  const record = (name: string, x: JArray) => {
    if (!trace) return x;
    trace[name] = x.ref;
    return x;
  };
  const branchOutputs = arch.branches.map((branch, bi) => {
    const [h, w, c] = branch.input;
    const n = xs[bi]!.shape[0]!;
    let x = record(`${branch.modality}/input`, xs[bi]!.reshape([n, h, w, c]));
    // Pools and global pooling keep their input's int8 grid (quantize.ts), so QAT re-snaps to it.
    let grid = `${branch.modality}/input`;
    x = fq(x, grid);
    for (const layer of branch.layers) {
      const p = params[layer.name] ?? {};
      const s = state[layer.name];
      switch (layer.kind) {
        case 'conv2d':
          if (qat) {
            const f = folded(layer, p.kernel!, 0);
            x = conv2d(x, f.kernel, layer.spec.stride, layer.pads);
            x = fq(activate(x.add(f.bias.reshape([1, 1, 1, layer.spec.filters])), layer.spec.activation), layer.name);
            grid = layer.name;
            break;
          }
          x = conv2d(x, p.kernel!, layer.spec.stride, layer.pads);
          x = activate(biasOrBatchNorm(x, layer, p, s, train, stats), layer.spec.activation);
          break;
        case 'separableConv2d': {
          if (qat) {
            x = depthwiseConv(x, fakeQuantWeights(p.depthwise!, 0), layer.spec.stride, layer.pads);
            x = fq(x, `${layer.name}/depthwise`);
            const f = folded(layer, p.pointwise!, 0);
            x = pointwiseConv(x, f.kernel);
            x = fq(activate(x.add(f.bias.reshape([1, 1, 1, layer.spec.filters])), layer.spec.activation), layer.name);
            grid = layer.name;
            break;
          }
          x = depthwiseConv(x, p.depthwise!, layer.spec.stride, layer.pads);
          x = record(`${layer.name}/depthwise`, x);
          x = pointwiseConv(x, p.pointwise!);
          x = activate(biasOrBatchNorm(x, layer, p, s, train, stats), layer.spec.activation);
          break;
        }
        case 'maxPool':
          x = pool(x, 'max', layer.size, layer.stride);
          break;
        case 'avgPool':
          x = fq(pool(x, 'mean', layer.size, layer.stride), grid);
          break;
        case 'globalAvgPool':
          x = fq(x.mean([1, 2]), grid);
          break;
      }
      record(layer.name, x);
    }
    // NHWC flattening is the int8 graph's layout, so the dense weights line up with it.
    return x.ndim === 4 ? x.reshape([n, branch.outputSize]) : x;
  });
  let x = record('fusion', branchOutputs.length === 1 ? branchOutputs[0]! : fq(np.concatenate(branchOutputs, 1), 'fusion'));
  for (const layer of arch.head) {
    const p = params[layer.name]!;
    if (qat) {
      const f = folded(layer, p.kernel!, 1);
      x = fq(activate(np.matmul(x, f.kernel).add(f.bias.reshape([1, layer.spec.units])), layer.spec.activation), layer.name);
      continue;
    }
    x = np.matmul(x, p.kernel!);
    x = activate(biasOrBatchNorm(x, layer, p, state[layer.name], train, stats), layer.spec.activation);
    record(layer.name, x);
  }
  return { logits: x, stats, ...(trace ? { trace } : {}) };
}

function disposeTree(t: JTree): void {
  for (const ps of Object.values(t)) for (const v of Object.values(ps)) v.dispose();
}

/** State trees are only read in evaluation mode; training-mode callers dispose theirs. */
function distillationLoss(
  arch: BuiltArchitecture,
  params: JTree,
  state: JTree,
  qat: QuantAwareOptions | undefined,
  xs: JArray[],
  onehot: JArray,
  sampleWeights: JArray,
  teacherLogits: JArray,
  alpha: JArray,
  temperature: JArray,
): [JArray, Stats] {
  // QAT trains against frozen (folded) batch-norm; plain training normalises with batch statistics.
  const { logits, stats } = forward(arch, params, qat ? state : {}, xs, !qat, false, qat);
  const weightSum = sampleWeights.ref.sum();
  const ce = onehot.mul(nn.logSoftmax(logits.ref, -1)).sum(-1).neg();
  const hard = ce.mul(sampleWeights.ref).sum().div(weightSum.ref);
  // KL(softmax(t/T) ‖ softmax(s/T)), written with log-softmaxes so a zero probability costs nothing.
  const teacherLog = nn.logSoftmax(teacherLogits.div(temperature.ref), -1);
  const studentLog = nn.logSoftmax(logits.div(temperature.ref), -1);
  const kl = np.exp(teacherLog.ref).mul(teacherLog.sub(studentLog)).sum(-1);
  const soft = kl.mul(sampleWeights).sum().div(weightSum).mul(np.square(temperature));
  const loss = hard.mul(alpha.ref).add(soft.mul(np.subtract(1, alpha)));
  return [loss, stats];
}

type LossInputs = {
  xs: JArray[];
  onehot: JArray;
  sampleWeights: JArray;
  teacherLogits: JArray;
  alpha: JArray;
  temperature: JArray;
};

function lossInputs(arch: BuiltArchitecture, batch: Batch, loss: LossOptions, precision: Precision): LossInputs {
  const classes = arch.spec.classes;
  const onehot = new Float32Array(batch.count * classes);
  const weights = new Float32Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const y = batch.labels[i]!;
    if (!(y >= 0 && y < classes)) throw new Error(`engine: label ${y} of sample ${i} is outside 0..${classes - 1}`);
    onehot[i * classes + y] = 1;
    weights[i] = loss.classWeights?.[y] ?? 1;
  }
  const alpha = loss.alpha ?? 1;
  if (alpha < 1 && !batch.teacherLogits) throw new Error('engine: distillation (alpha < 1) needs teacherLogits in the batch');
  const scalar = (v: number) => toArray(new Float32Array([v]), [], precision, 'scalar');
  return {
    xs: inputArrays(arch, batch, precision),
    onehot: toArray(onehot, [batch.count, classes], precision, 'labels'),
    sampleWeights: toArray(weights, [batch.count], precision, 'sample weights'),
    teacherLogits: toArray(batch.teacherLogits ?? new Float32Array(batch.count * classes), [batch.count, classes], precision, 'teacherLogits'),
    alpha: scalar(alpha),
    temperature: scalar(loss.temperature ?? 1),
  };
}

/** Gradients as Float64Arrays, for checking against finite differences. */
export interface LossAndGradient {
  readonly loss: number;
  readonly gradient: Record<string, Record<string, Float64Array>>;
}

/**
 * Training-mode loss and its gradient with respect to every parameter, unjitted. `float64` exists for
 * finite-difference checks; note that jax-js 0.1.25's wasm backend still evaluates exp/log to float32
 * precision, so the loss carries ~1e-7 relative round-off even then.
 */
export function lossAndGradient(arch: BuiltArchitecture, weights: ModelWeights, batch: Batch, loss: LossOptions = {}, precision: Precision = 'float32'): LossAndGradient {
  const params = toTree(arch, weights.params, 'paramShapes', precision);
  const li = lossInputs(arch, batch, loss, precision);
  const f = (p: JTree) => distillationLoss(arch, p, {}, undefined, li.xs, li.onehot, li.sampleWeights, li.teacherLogits, li.alpha, li.temperature);
  const [[value, stats], grads] = valueAndGrad(f, { hasAux: true })(params);
  disposeTree(stats);
  const gradient = Object.fromEntries(
    Object.entries(grads as JTree).map(([layer, ps]) => [layer, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, Float64Array.from(v.dataSync())]))]),
  );
  return { loss: value.dataSync()[0]!, gradient };
}

type AdamState = {
  m: JTree;
  v: JTree;
};

type Hyper = {
  learningRate: JArray;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ, passed in so the step compiles once rather than per t. */
  correction1: JArray;
  correction2: JArray;
};

/** A model being trained: weights, Adam moments and the compiled step live on the device until read back. */
export interface TrainableModel {
  readonly arch: BuiltArchitecture;
  /** One Adam step on a batch; returns the loss before the step. `learningRate` overrides the optimizer's for this step (schedules). */
  step(batch: Batch, learningRate?: number): number;
  /** Evaluation-mode logits, [count, classes]. */
  logits(inputs: Inputs): Float32Array;
  /** Evaluation-mode intermediate tensors (NHWC, per sample flattened) by name, for calibration. */
  trace(inputs: Inputs): Record<string, Float32Array>;
  /** A copy of the current weights. */
  weights(): ModelWeights;
  /** Replaces the weights (e.g. to restore the best epoch); Adam moments are kept. */
  setWeights(w: ModelWeights): void;
  dispose(): void;
}

export function trainableModel(arch: BuiltArchitecture, initial: ModelWeights, optimizer: AdamOptions, loss: LossOptions = {}, quantAware?: QuantAwareOptions): TrainableModel {
  const beta1 = optimizer.beta1 ?? 0.9;
  const beta2 = optimizer.beta2 ?? 0.999;
  const epsilon = optimizer.epsilon ?? 1e-7;
  const weightDecay = optimizer.weightDecay ?? 0;
  let params = toTree(arch, initial.params, 'paramShapes', 'float32');
  let state = toTree(arch, initial.state, 'stateShapes', 'float32');
  const zeros = (t: JTree): JTree => Object.fromEntries(Object.entries(t).map(([l, ps]) => [l, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, np.zerosLike(v.ref)]))]));
  let adam: AdamState = { m: zeros(params), v: zeros(params) };
  let t = 0;

  const trainStep = jit((p: JTree, opt: AdamState, s: JTree, li: LossInputs, h: Hyper) => {
    const f = (q: JTree) => distillationLoss(arch, q, s, quantAware, li.xs, li.onehot, li.sampleWeights, li.teacherLogits, li.alpha, li.temperature);
    const [[value, stats], grads] = valueAndGrad(f, { hasAux: true })(tree.ref(p));
    const nextP: JTree = {};
    const nextM: JTree = {};
    const nextV: JTree = {};
    for (const [layer, ps] of Object.entries(p)) {
      nextP[layer] = {};
      nextM[layer] = {};
      nextV[layer] = {};
      for (const [k, w] of Object.entries(ps)) {
        const g = (grads as JTree)[layer]![k]!;
        const m = opt.m[layer]![k]!.mul(beta1).add(g.ref.mul(1 - beta1));
        const v = opt.v[layer]![k]!.mul(beta2).add(np.square(g).mul(1 - beta2));
        const update = m.ref.div(h.correction1.ref).div(np.sqrt(v.ref.div(h.correction2.ref)).add(epsilon));
        const decayed = weightDecay > 0 ? w.ref.sub(w.mul(h.learningRate.ref).mul(weightDecay)) : w;
        nextP[layer]![k] = decayed.sub(update.mul(h.learningRate.ref));
        nextM[layer]![k] = m;
        nextV[layer]![k] = v;
      }
    }
    h.learningRate.dispose();
    h.correction1.dispose();
    h.correction2.dispose();
    if (quantAware) return [value, nextP, { m: nextM, v: nextV }, s] as [JArray, JTree, AdamState, JTree];
    const nextS: JTree = {};
    for (const [layer, ss] of Object.entries(s)) {
      const batch = stats[layer]!;
      nextS[layer] = {
        mean: ss.mean!.mul(BATCH_NORM_MOMENTUM).add(batch.mean!.mul(1 - BATCH_NORM_MOMENTUM)),
        variance: ss.variance!.mul(BATCH_NORM_MOMENTUM).add(batch.variance!.mul(1 - BATCH_NORM_MOMENTUM)),
      };
    }
    return [value, nextP, { m: nextM, v: nextV }, nextS] as [JArray, JTree, AdamState, JTree];
  });

  // With QAT the evaluation forward is the fake-quantized one, i.e. what the int8 model computes.
  const evaluate = jit((p: JTree, s: JTree, xs: JArray[]) => {
    const r = forward(arch, p, s, xs, false, false, quantAware);
    if (quantAware) disposeTree(s);
    return r.logits;
  });
  const traceFn = jit((p: JTree, s: JTree, xs: JArray[]) => {
    const r = forward(arch, p, s, xs, false, true);
    return { ...r.trace!, 'head/logits': r.logits };
  });

  const scalar = (v: number) => np.array(new Float32Array([v])).reshape([]);

  return {
    arch,
    step(batch, learningRate) {
      t += 1;
      const li = lossInputs(arch, batch, loss, 'float32');
      const h: Hyper = { learningRate: scalar(learningRate ?? optimizer.learningRate), correction1: scalar(1 - beta1 ** t), correction2: scalar(1 - beta2 ** t) };
      const [value, p, opt, s] = trainStep(params, adam, state, li, h);
      params = p;
      adam = opt;
      state = s;
      return value.dataSync()[0]!;
    },
    logits(inputs) {
      return Float32Array.from(evaluate(tree.ref(params), tree.ref(state), inputArrays(arch, inputs, 'float32')).dataSync());
    },
    trace(inputs) {
      const out = traceFn(tree.ref(params), tree.ref(state), inputArrays(arch, inputs, 'float32'));
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
    },
    weights() {
      return { params: fromTree(tree.ref(params)), state: fromTree(tree.ref(state)) };
    },
    setWeights(w) {
      const nextParams = toTree(arch, w.params, 'paramShapes', 'float32');
      const nextState = toTree(arch, w.state, 'stateShapes', 'float32');
      disposeTree(params);
      disposeTree(state);
      params = nextParams;
      state = nextState;
    },
    dispose() {
      disposeTree(params);
      disposeTree(state);
      disposeTree(adam.m);
      disposeTree(adam.v);
      trainStep.dispose();
      evaluate.dispose();
      traceFn.dispose();
    },
  };
}
