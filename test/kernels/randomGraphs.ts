// Random single-op Int8Graphs for golden-vector tests (TS vs onnxruntime, TS vs C runtime).
import type { Int8Graph, Int8Op, Int8Tensor, QuantParams } from '../../src-main/graph/int8Graph';
import { convOutputSize } from '../../src-main/kernels/conv2d';

export type Random = () => number;

/** Deterministic uniform [0, 1) generator so failures reproduce from the seed alone. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export const randInt = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const randomInt8 = (r: Random, n: number) => Int8Array.from({ length: n }, () => randInt(r, -128, 127));
const randScale = (r: Random, lo: number, hi: number) => Math.fround(lo * (hi / lo) ** r());
const act = (r: Random): QuantParams => ({ scales: [randScale(r, 0.005, 0.2)], zeroPoint: randInt(r, -20, 20) });

export type OpKind = Int8Op['kind'];

class GraphBuilder {
  readonly tensors: Int8Tensor[] = [];
  tensor(name: string, shape: number[], quant: QuantParams, data?: Int8Array | Int32Array): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, dtype: data instanceof Int32Array ? 'int32' : 'int8', quant, ...(data ? { data } : {}) });
    return id;
  }
}

function weightsAndBias(r: Random, b: GraphBuilder, inQ: QuantParams, shape: number[], fanIn: number) {
  const outC = shape[0]!;
  const wScales = Array.from({ length: outC }, () => randScale(r, 0.002, 0.05));
  const w = b.tensor('w', shape, { scales: wScales, zeroPoint: 0 }, randomInt8(r, shape.reduce((a, c) => a * c, 1)));
  // Bias in the accumulator's scale, of a size comparable to the weighted sum.
  const bias = Int32Array.from({ length: outC }, () => randInt(r, -64 * fanIn, 64 * fanIn));
  const biasId = b.tensor('b', [outC], { scales: wScales.map((s) => Math.fround(s * inQ.scales[0]!)), zeroPoint: 0 }, bias);
  return { w, bias: biasId };
}

/** A random conv/dense output scale chosen so outputs spread over the int8 range rather than saturate. */
function accOutputQuant(r: Random, inQ: QuantParams, fanIn: number): QuantParams {
  return { scales: [Math.fround(inQ.scales[0]! * 0.02 * Math.sqrt(fanIn) * 64 * (0.5 + r()) / 8)], zeroPoint: randInt(r, -20, 20) };
}

function randomClamp(r: Random, outQ: QuantParams): [number, number] {
  const pick = randInt(r, 0, 2);
  if (pick === 0) return [-128, 127];
  if (pick === 1) return [outQ.zeroPoint, 127]; // ReLU
  return [outQ.zeroPoint, Math.min(127, outQ.zeroPoint + Math.round(6 / outQ.scales[0]!))]; // ReLU6
}

export function randomSingleOpGraph(kind: OpKind, r: Random, options: { relu?: boolean; sameQuant?: boolean } = {}): Int8Graph {
  const b = new GraphBuilder();
  const H = randInt(r, 1, 7);
  const W = randInt(r, 1, 7);
  const C = randInt(r, 1, 6);
  const inQ = act(r);
  const x = b.tensor('x', [H, W, C], inQ);
  let op: Int8Op;
  let inputs = [x];
  switch (kind) {
    case 'conv2d': {
      const depthwise = r() < 0.35;
      const kH = randInt(r, 1, Math.min(3, H + 1));
      const kW = randInt(r, 1, Math.min(3, W + 1));
      const stride: [number, number] = [randInt(r, 1, 2), randInt(r, 1, 2)];
      const padding: [number, number, number, number] = [randInt(r, 0, kH - 1), randInt(r, 0, kW - 1), randInt(r, 0, kH - 1), randInt(r, 0, kW - 1)];
      const oH = convOutputSize(H, kH, stride[0], padding[0], padding[2]);
      const oW = convOutputSize(W, kW, stride[1], padding[1], padding[3]);
      if (oH < 1 || oW < 1) return randomSingleOpGraph(kind, r, options);
      const groups = depthwise ? C : 1;
      const outC = depthwise ? C * randInt(r, 1, 2) : randInt(r, 1, 8);
      const inPerGroup = C / groups;
      const fanIn = kH * kW * inPerGroup;
      const { w, bias } = weightsAndBias(r, b, inQ, [outC, kH, kW, inPerGroup], fanIn);
      const outQ = accOutputQuant(r, inQ, fanIn);
      const y = b.tensor('y', [oH, oW, outC], outQ);
      const clamp = options.relu === false ? ([-128, 127] as [number, number]) : randomClamp(r, outQ);
      op = { kind, input: x, weights: w, bias, output: y, stride, padding, groups, clamp };
      break;
    }
    case 'dense': {
      const n = H * W * C;
      const m = randInt(r, 1, 12);
      b.tensors[0] = { ...b.tensors[0]!, shape: [n] };
      const { w, bias } = weightsAndBias(r, b, inQ, [m, n], n);
      const outQ = accOutputQuant(r, inQ, n);
      const y = b.tensor('y', [m], outQ);
      const clamp = options.relu === false ? ([-128, 127] as [number, number]) : randomClamp(r, outQ);
      op = { kind, input: x, weights: w, bias, output: y, clamp };
      break;
    }
    case 'maxPool':
    case 'avgPool': {
      const size: [number, number] = [randInt(r, 1, Math.min(3, H)), randInt(r, 1, Math.min(3, W))];
      const stride: [number, number] = [randInt(r, 1, 2), randInt(r, 1, 2)];
      const padding: [number, number, number, number] = [randInt(r, 0, size[0] - 1), randInt(r, 0, size[1] - 1), randInt(r, 0, size[0] - 1), randInt(r, 0, size[1] - 1)];
      const oH = convOutputSize(H, size[0], stride[0], padding[0], padding[2]);
      const oW = convOutputSize(W, size[1], stride[1], padding[1], padding[3]);
      const y = b.tensor('y', [oH, oW, C], options.sameQuant === false ? act(r) : inQ);
      op = { kind, input: x, output: y, size, stride, padding };
      break;
    }
    case 'globalAvgPool': {
      const y = b.tensor('y', [1, 1, C], options.sameQuant === false ? act(r) : inQ);
      op = { kind, input: x, output: y };
      break;
    }
    case 'concat': {
      const C2 = randInt(r, 1, 5);
      const x2 = b.tensor('x2', [H, W, C2], options.sameQuant ? inQ : act(r));
      inputs = [x, x2];
      const y = b.tensor('y', [H, W, C + C2], options.sameQuant ? inQ : act(r));
      op = { kind, inputs: [x, x2], output: y };
      break;
    }
    case 'add': {
      const x2 = b.tensor('x2', [H, W, C], act(r));
      inputs = [x, x2];
      const outQ = { scales: [Math.fround((inQ.scales[0]! + b.tensors[x2]!.quant.scales[0]!) * (0.6 + 0.8 * r()))], zeroPoint: randInt(r, -20, 20) };
      const y = b.tensor('y', [H, W, C], outQ);
      const clamp = options.relu === false ? ([-128, 127] as [number, number]) : randomClamp(r, outQ);
      op = { kind, inputs: [x, x2], output: y, clamp };
      break;
    }
    case 'reshape': {
      const y = b.tensor('y', [H * W * C], inQ);
      op = { kind, input: x, output: y };
      break;
    }
    case 'softmax': {
      const n = randInt(r, 2, 12);
      b.tensors[0] = { ...b.tensors[0]!, shape: [n], quant: { scales: [randScale(r, 0.02, 0.3)], zeroPoint: randInt(r, -20, 20) } };
      const y = b.tensor('y', [n], { scales: [1 / 256], zeroPoint: -128 });
      op = { kind, input: x, output: y };
      break;
    }
  }
  return { name: `random-${kind}`, tensors: b.tensors, ops: [op], inputs, modalities: inputs.map((_, i) => `m${i}`), outputs: [op.output] };
}

export function randomInputs(graph: Int8Graph, r: Random): Int8Array[] {
  return graph.inputs.map((id) => randomInt8(r, graph.tensors[id]!.shape.reduce((a, c) => a * c, 1)));
}
