// Int8Graph with one op → a QDQ ONNX model (DequantizeLinear → float op → QuantizeLinear), the form
// onnxruntime fuses into its own integer kernels (QLinearConv, QLinearAdd, ...) where it has them.
// Feature maps go NHWC → NCHW at the boundary; callers transpose data with nhwcToNchw / nchwToNhwc.
import onnxProto from 'onnx-proto';
import type { Int8Graph, Int8Tensor } from '../../src-main/graph/int8Graph';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT8 = 3;
const INT32 = 6;

function initializer(name: string, dataType: number, dims: number[], data: Int8Array | Int32Array | Float32Array) {
  const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}

const scalarF = (name: string, v: number) => initializer(name, FLOAT, [], Float32Array.of(v));
const scalarI8 = (name: string, v: number) => initializer(name, INT8, [], Int8Array.of(v));

function attr(name: string, value: number | number[]) {
  return Array.isArray(value)
    ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value })
    : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
}

function valueInfo(name: string, elemType: number, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
}

/** ONNX dims for an activation: [1, C, H, W] for feature maps, [1, N] for vectors. */
export function onnxDims(t: Int8Tensor): number[] {
  return t.shape.length === 3 ? [1, t.shape[2]!, t.shape[0]!, t.shape[1]!] : [1, ...t.shape];
}

export function nhwcToNchw(data: Int8Array, shape: readonly number[]): Int8Array {
  if (shape.length !== 3) return data;
  const [H, W, C] = shape as [number, number, number];
  const out = new Int8Array(data.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[(c * H + y) * W + x] = data[(y * W + x) * C + c]!;
  return out;
}

export function nchwToNhwc(data: Int8Array, shape: readonly number[]): Int8Array {
  if (shape.length !== 3) return data;
  const [H, W, C] = shape as [number, number, number];
  const out = new Int8Array(data.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = data[(c * H + y) * W + x]!;
  return out;
}

export function singleOpModel(graph: Int8Graph): Uint8Array {
  const op = graph.ops[0]!;
  const t = (id: number) => graph.tensors[id]!;
  const nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  const inits: ReturnType<typeof onnx.TensorProto.create>[] = [];
  const node = (opType: string, input: string[], output: string[], attribute: ReturnType<typeof attr>[] = []) =>
    nodes.push(onnx.NodeProto.create({ opType, input, output, attribute, name: `${opType}_${nodes.length}` }));
  const dq = (id: number): string => {
    const tensor = t(id);
    inits.push(scalarF(`${tensor.name}_s`, tensor.quant.scales[0]!), scalarI8(`${tensor.name}_z`, tensor.quant.zeroPoint));
    node('DequantizeLinear', [tensor.name, `${tensor.name}_s`, `${tensor.name}_z`], [`${tensor.name}_f`]);
    return `${tensor.name}_f`;
  };
  const dqConst = (id: number, dims: number[], data: Int8Array | Int32Array): string => {
    const tensor = t(id);
    const n = dims[0]!;
    inits.push(initializer(tensor.name, data instanceof Int32Array ? INT32 : INT8, dims, data));
    inits.push(initializer(`${tensor.name}_s`, FLOAT, [n], Float32Array.from(tensor.quant.scales)));
    inits.push(initializer(`${tensor.name}_z`, data instanceof Int32Array ? INT32 : INT8, [n], data instanceof Int32Array ? new Int32Array(n) : new Int8Array(n)));
    node('DequantizeLinear', [tensor.name, `${tensor.name}_s`, `${tensor.name}_z`], [`${tensor.name}_f`], [attr('axis', 0)]);
    return `${tensor.name}_f`;
  };
  let y = 'y_f';
  const out = t(op.output);
  switch (op.kind) {
    case 'conv2d': {
      const w = t(op.weights);
      const [oc, kH, kW, icg] = w.shape as [number, number, number, number];
      const ohwi = w.data as Int8Array;
      const oihw = new Int8Array(ohwi.length);
      for (let o = 0; o < oc; o++)
        for (let ky = 0; ky < kH; ky++)
          for (let kx = 0; kx < kW; kx++) for (let i = 0; i < icg; i++) oihw[((o * icg + i) * kH + ky) * kW + kx] = ohwi[((o * kH + ky) * kW + kx) * icg + i]!;
      const [pt, pl, pb, pr] = op.padding;
      node('Conv', [dq(op.input), dqConst(op.weights, [oc, icg, kH, kW], oihw), dqConst(op.bias, [oc], t(op.bias).data as Int32Array)], ['conv_f'], [
        attr('strides', [...op.stride]),
        attr('pads', [pt, pl, pb, pr]),
        attr('group', op.groups),
        attr('kernel_shape', [kH, kW]),
      ]);
      y = clip('conv_f', op.clamp, out);
      break;
    }
    case 'dense': {
      const w = t(op.weights);
      node('Gemm', [dq(op.input), dqConst(op.weights, [...w.shape], w.data as Int8Array), dqConst(op.bias, [w.shape[0]!], t(op.bias).data as Int32Array)], ['gemm_f'], [attr('transB', 1)]);
      y = clip('gemm_f', op.clamp, out);
      break;
    }
    case 'maxPool':
    case 'avgPool':
      node(op.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', [dq(op.input)], [y], [
        attr('kernel_shape', [...op.size]),
        attr('strides', [...op.stride]),
        attr('pads', [...op.padding]),
        ...(op.kind === 'avgPool' ? [attr('count_include_pad', 0)] : []),
      ]);
      break;
    case 'globalAvgPool':
      node('GlobalAveragePool', [dq(op.input)], [y]);
      break;
    case 'concat':
      node('Concat', op.inputs.map(dq), [y], [attr('axis', 1)]);
      break;
    case 'add':
      node('Add', op.inputs.map(dq), ['add_f']);
      y = clip('add_f', op.clamp, out);
      break;
    case 'softmax':
      node('Softmax', [dq(op.input)], [y], [attr('axis', -1)]);
      break;
    case 'reshape':
      // Our flattening is NHWC row-major, so go back to NHWC before ONNX's row-major Reshape.
      node('Transpose', [dq(op.input)], ['nhwc_f'], [attr('perm', [0, 2, 3, 1])]);
      node('Reshape', ['nhwc_f', 'shape'], [y]);
      inits.push(onnx.TensorProto.create({ name: 'shape', dataType: 7, dims: [2], int64Data: [1, -1] }));
      break;
  }
  inits.push(scalarF('y_s', out.quant.scales[0]!), scalarI8('y_z', out.quant.zeroPoint));
  node('QuantizeLinear', [y, 'y_s', 'y_z'], ['y']);

  function clip(input: string, clamp: readonly [number, number], q: Int8Tensor): string {
    if (clamp[0] === -128 && clamp[1] === 127) return input;
    // The int8 clamp mapped back to float, as a float Clip before QuantizeLinear.
    const s = q.quant.scales[0]!;
    inits.push(scalarF(`${input}_lo`, (clamp[0] - q.quant.zeroPoint) * s), scalarF(`${input}_hi`, (clamp[1] - q.quant.zeroPoint) * s));
    node('Clip', [input, `${input}_lo`, `${input}_hi`], [`${input}_clip`]);
    return `${input}_clip`;
  }

  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tinym2-kernel-tests',
    graph: {
      name: graph.name,
      node: nodes,
      initializer: inits,
      input: graph.inputs.map((id) => valueInfo(t(id).name, INT8, onnxDims(t(id)))),
      output: [valueInfo('y', INT8, onnxDims(out))],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
