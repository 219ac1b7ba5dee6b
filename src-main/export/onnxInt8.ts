/**
 * Int8Graph → ONNX (opset 13) in QDQ form: int8 weights and activations with DequantizeLinear /
 * QuantizeLinear around each float op, so onnxruntime fuses them into its integer kernels (QLinearConv,
 * QGemm, …) where it can. The model's inputs are the int8 feature maps, one per modality, NHWC as in the
 * graph; its output is the int8 result tensor. Keeping the int8 boundary lets the app compare
 * onnxruntime with the TypeScript reference kernels bit for bit on the same int8 inputs.
 *
 * Layout: ONNX convolutions want NCHW, the graph is NHWC. Every rank-3 activation lives as NCHW
 * [1, C, H, W] inside the ONNX graph and every vector as [1, N]; the inputs are transposed once, and a
 * reshape from a feature map to a vector goes through NHWC again so the flatten order matches the graph's.
 */
import { attrInt, attrInts, DT, encodeModel, OnnxGraphWriter } from './onnxGraphWriter';
import type { Int8Graph, Int8Op, Int8Tensor, TensorId } from '../graph/int8Graph';

export interface OnnxExportOptions {
  /** Names of the ONNX inputs, one per graph input; defaults to the graph's modalities. */
  readonly inputNames?: readonly string[];
  readonly outputName?: string;
  readonly producerVersion?: string;
}

/** ONNX dims of a graph activation in the exported layout. */
function onnxDims(t: Int8Tensor): number[] {
  if (t.shape.length === 3) return [1, t.shape[2]!, t.shape[0]!, t.shape[1]!];
  return [1, t.shape.reduce((a, b) => a * b, 1)];
}

export function exportInt8GraphToOnnx(graph: Int8Graph, options: OnnxExportOptions = {}): Uint8Array {
  const w = new OnnxGraphWriter();
  const tensor = (id: TensorId): Int8Tensor => {
    const t = graph.tensors[id];
    if (!t) throw new RangeError(`graph ${graph.name}: tensor ${id} is missing`);
    return t;
  };
  /** ONNX value name holding each int8 activation, in the exported layout. */
  const valueOf = new Map<TensorId, string>();
  const scaleZp = new Map<TensorId, [string, string]>();
  const qparams = (id: TensorId): [string, string] => {
    let p = scaleZp.get(id);
    if (!p) {
      const t = tensor(id);
      p = [w.floatConst(`t${id}_scale`, [t.quant.scales[0]!], []), w.int8Const(`t${id}_zp`, [t.quant.zeroPoint], [])];
      scaleZp.set(id, p);
    }
    return p;
  };
  const dq = (id: TensorId): string => {
    const v = valueOf.get(id);
    if (!v) throw new Error(`graph ${graph.name}: tensor ${tensor(id).name} used before it is produced`);
    return w.node('DequantizeLinear', [v, ...qparams(id)]);
  };
  const q = (floatValue: string, id: TensorId): void => {
    valueOf.set(id, w.node('QuantizeLinear', [floatValue, ...qparams(id)], [], `t${id}_${tensor(id).name.replace(/[^A-Za-z0-9_]/g, '_')}`));
  };
  /** Pools keep their input's quantization (the quantizer guarantees it); then exact integer math applies. */
  const sameQuant = (a: TensorId, b: TensorId): boolean => {
    const qa = tensor(a).quant;
    const qb = tensor(b).quant;
    return qa.zeroPoint === qb.zeroPoint && Math.fround(qa.scales[0]!) === Math.fround(qb.scales[0]!);
  };
  const roundHalfAway = (v: string): string =>
    w.node('Mul', [w.node('Sign', [v]), w.node('Floor', [w.node('Add', [w.node('Abs', [v]), w.floatConst(w.fresh('half'), [0.5], [])])])]);
  const toInt8 = (v: string): string =>
    w.node('Cast', [w.node('Clip', [v, w.floatConst(w.fresh('lo'), [-128], []), w.floatConst(w.fresh('hi'), [127], [])])], [attrInt('to', DT.INT8)]);
  /** A fused int8 clamp becomes a float Clip on the dequantized range (skipped when it is the full int8 range). */
  const clip = (floatValue: string, outId: TensorId, clamp: readonly [number, number]): string => {
    if (clamp[0] <= -128 && clamp[1] >= 127) return floatValue;
    const t = tensor(outId);
    const s = t.quant.scales[0]!;
    const lo = w.floatConst(w.fresh('clip_lo'), [(clamp[0] - t.quant.zeroPoint) * s], []);
    const hi = w.floatConst(w.fresh('clip_hi'), [(clamp[1] - t.quant.zeroPoint) * s], []);
    return w.node('Clip', [floatValue, lo, hi]);
  };
  /** Per-channel weights and int32 bias, dequantized by ONNX itself so the int8 values are what ships. */
  const weightsAndBias = (op: Int8Op & { kind: 'conv2d' | 'dense' }): [string, string] => {
    const wt = tensor(op.weights);
    const bt = tensor(op.bias);
    const input = tensor(op.input);
    if (!(wt.data instanceof Int8Array)) throw new TypeError(`weights ${wt.name} must be constant int8 data`);
    if (!(bt.data instanceof Int32Array)) throw new TypeError(`bias ${bt.name} must be constant int32 data`);
    const outC = wt.shape[0]!;
    const perChannel = (scales: readonly number[]) => (scales.length === 1 ? new Array<number>(outC).fill(scales[0]!) : [...scales]);
    const wScales = perChannel(wt.quant.scales);
    let wData: Int8Array = wt.data;
    let wDims: number[] = [...wt.shape];
    if (op.kind === 'conv2d') {
      // [O, kH, kW, I/g] (TFLite) → [O, I/g, kH, kW] (ONNX).
      const [o, kh, kw, ig] = wt.shape as [number, number, number, number];
      wData = new Int8Array(wt.data.length);
      for (let a = 0; a < o; a++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let c = 0; c < ig; c++) wData[((a * ig + c) * kh + y) * kw + x] = wt.data[((a * kh + y) * kw + x) * ig + c]!;
      wDims = [o, ig, kh, kw];
    }
    const wName = w.int8Const(`${wt.name}_q`, wData, wDims);
    const wDq = w.node('DequantizeLinear', [wName, w.floatConst(`${wt.name}_scale`, wScales, [outC]), w.int8Const(`${wt.name}_zp`, new Array<number>(outC).fill(0), [outC])], [attrInt('axis', 0)]);
    const bName = w.int32Const(`${bt.name}_q`, bt.data, [outC]);
    const bScales = wScales.map((s) => s * input.quant.scales[0]!);
    const bDq = w.node('DequantizeLinear', [bName, w.floatConst(`${bt.name}_scale`, bScales, [outC]), w.int32Const(`${bt.name}_zp`, new Array<number>(outC).fill(0), [outC])], [attrInt('axis', 0)]);
    return [wDq, bDq];
  };

  const inputNames = options.inputNames ?? graph.modalities;
  if (inputNames.length !== graph.inputs.length) throw new RangeError(`graph ${graph.name}: ${graph.inputs.length} inputs but ${inputNames.length} input names`);
  const onnxInputs = graph.inputs.map((id, k) => {
    const t = tensor(id);
    const name = inputNames[k]!;
    valueOf.set(id, t.shape.length === 3 ? w.node('Transpose', [name], [attrInts('perm', [0, 3, 1, 2])]) : w.node('Reshape', [name, w.int64Const(w.fresh('shape'), onnxDims(t))]));
    return { name, type: { tensorType: { elemType: DT.INT8, shape: { dim: [1, ...t.shape].map((d) => ({ dimValue: d })) } } } };
  });

  for (const op of graph.ops) {
    switch (op.kind) {
      case 'conv2d': {
        const [wDq, bDq] = weightsAndBias(op);
        const wt = tensor(op.weights);
        const conv = w.node('Conv', [dq(op.input), wDq, bDq], [
          attrInt('group', op.groups),
          attrInts('kernel_shape', [wt.shape[1]!, wt.shape[2]!]),
          attrInts('strides', [...op.stride]),
          // Graph padding is [top, left, bottom, right]; ONNX wants [top, left, bottom, right] as begins then ends.
          attrInts('pads', [op.padding[0], op.padding[1], op.padding[2], op.padding[3]]),
        ]);
        q(clip(conv, op.output, op.clamp), op.output);
        break;
      }
      case 'dense': {
        const [wDq, bDq] = weightsAndBias(op);
        q(clip(w.node('Gemm', [dq(op.input), wDq, bDq], [attrInt('transB', 1)]), op.output, op.clamp), op.output);
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        const attrs = [attrInts('kernel_shape', [...op.size]), attrInts('strides', [...op.stride]), attrInts('pads', [...op.padding])];
        // TFLite's average pool divides by the number of in-bounds pixels only.
        if (op.kind === 'avgPool') attrs.push(attrInt('count_include_pad', 0));
        if (op.kind === 'avgPool' && sameQuant(op.input, op.output)) {
          // Exact integer average with TFLite's rounding: averages of integers often end in .5, where
          // QuantizeLinear's half-to-even and the reference's half-away-from-zero disagree.
          const avg = w.node('AveragePool', [w.node('Cast', [valueOf.get(op.input)!], [attrInt('to', DT.FLOAT)])], attrs);
          valueOf.set(op.output, toInt8(roundHalfAway(avg)));
          break;
        }
        q(w.node(op.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', [dq(op.input)], attrs), op.output);
        break;
      }
      case 'globalAvgPool': {
        const out = tensor(op.output);
        const reshapeOut = (v: string) => (out.shape.length === 3 ? v : w.node('Reshape', [v, w.int64Const(w.fresh('shape'), onnxDims(out))]));
        if (sameQuant(op.input, op.output)) {
          // TFLite MEAN: Σ(x − zp) / n rounded half away from zero, + zp; done on exact integers in float.
          const zp = tensor(op.input).quant.zeroPoint;
          const centred = w.node('Sub', [w.node('Cast', [valueOf.get(op.input)!], [attrInt('to', DT.FLOAT)]), w.floatConst(w.fresh('zp'), [zp], [])]);
          const mean = roundHalfAway(w.node('GlobalAveragePool', [centred]));
          valueOf.set(op.output, toInt8(reshapeOut(w.node('Add', [mean, w.floatConst(w.fresh('zp'), [zp], [])]))));
          break;
        }
        q(reshapeOut(w.node('GlobalAveragePool', [dq(op.input)])), op.output);
        break;
      }
      case 'concat':
        q(w.node('Concat', op.inputs.map(dq), [attrInt('axis', 1)]), op.output);
        break;
      case 'add':
        q(clip(w.node('Add', [dq(op.inputs[0]), dq(op.inputs[1])]), op.output, op.clamp), op.output);
        break;
      case 'reshape': {
        const src = tensor(op.input);
        const out = tensor(op.output);
        let v = valueOf.get(op.input)!;
        // Back to NHWC element order before flattening, forward to NCHW after unflattening.
        if (src.shape.length === 3) v = w.node('Transpose', [v], [attrInts('perm', [0, 2, 3, 1])]);
        if (out.shape.length === 3) {
          v = w.node('Reshape', [v, w.int64Const(w.fresh('shape'), [1, ...out.shape])]);
          v = w.node('Transpose', [v], [attrInts('perm', [0, 3, 1, 2])]);
        } else {
          v = w.node('Reshape', [v, w.int64Const(w.fresh('shape'), onnxDims(out))]);
        }
        valueOf.set(op.output, v);
        break;
      }
      case 'softmax':
        q(w.node('Softmax', [dq(op.input)], [attrInt('axis', -1)]), op.output);
        break;
    }
  }

  const outputName = options.outputName ?? 'output';
  const outputs = graph.outputs.map((id, k) => {
    const t = tensor(id);
    const name = graph.outputs.length === 1 ? outputName : `${outputName}_${k}`;
    let v = valueOf.get(id)!;
    if (t.shape.length === 3) v = w.node('Transpose', [v], [attrInts('perm', [0, 2, 3, 1])]);
    w.node('Identity', [v], [], name);
    return { name, type: { tensorType: { elemType: DT.INT8, shape: { dim: (t.shape.length === 3 ? [1, ...t.shape] : onnxDims(t)).map((d) => ({ dimValue: d })) } } } };
  });

  return encodeModel(w, { name: graph.name, inputs: onnxInputs, outputs, producerVersion: options.producerVersion });
}
