/**
 * The float model as ONNX (opset 13), from the architecture and its batch-norm-folded weights: what the
 * int8 model approximates, for analysts who want to inspect or re-quantize it with other tools. Inputs
 * are float NHWC [1, H, W, C] per modality (the same layout as the int8 model), the output the logits.
 */
import type { FoldedConv, FoldedModel } from '../compress/foldBatchNorm';
import type { Activation, BuiltArchitecture } from '../model/architecture';
import { attrInt, attrInts, DT, encodeModel, OnnxGraphWriter } from './onnxGraphWriter';

export function exportFloatModelToOnnx(arch: BuiltArchitecture, folded: FoldedModel, producerVersion = '0'): Uint8Array {
  const w = new OnnxGraphWriter();
  const activate = (x: string, a: Activation): string => {
    if (a === 'relu') return w.node('Relu', [x]);
    if (a === 'relu6') return w.node('Clip', [x, w.floatConst(w.fresh('zero'), [0], []), w.floatConst(w.fresh('six'), [6], [])]);
    return x;
  };
  const conv = (x: string, c: FoldedConv, stride: readonly number[], pads: readonly number[]): string => {
    const [o, kh, kw, ig] = c.shape;
    // Folded weights are OHWI (int8 graph layout); ONNX wants OIHW.
    const oihw = new Float32Array(c.weights.length);
    for (let a = 0; a < o; a++)
      for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < ig; i++) oihw[((a * ig + i) * kh + y) * kw + xx] = c.weights[((a * kh + y) * kw + xx) * ig + i]!;
    return w.node(
      'Conv',
      [x, w.floatConst(`${c.layer}/W`, Array.from(oihw), [o, ig, kh, kw]), w.floatConst(`${c.layer}/B`, Array.from(c.bias), [o])],
      [attrInt('group', c.groups), attrInts('kernel_shape', [kh, kw]), attrInts('strides', [...stride]), attrInts('pads', [...pads])],
    );
  };
  const flats: string[] = [];
  const inputs = arch.branches.map((b) => {
    let x = w.node('Transpose', [b.modality], [attrInts('perm', [0, 3, 1, 2])]);
    for (const layer of b.layers) {
      const f = folded.get(layer.name);
      switch (layer.kind) {
        case 'conv2d':
          if (f?.kind !== 'conv2d') throw new Error(`exportFloatModelToOnnx: layer "${layer.name}" was not folded`);
          x = activate(conv(x, f.conv, layer.spec.stride, layer.pads), layer.spec.activation);
          break;
        case 'separableConv2d':
          if (f?.kind !== 'separableConv2d') throw new Error(`exportFloatModelToOnnx: layer "${layer.name}" was not folded`);
          x = conv(x, f.depthwise, layer.spec.stride, layer.pads);
          x = activate(conv(x, f.pointwise, [1, 1], [0, 0, 0, 0]), layer.spec.activation);
          break;
        case 'maxPool':
        case 'avgPool':
          x = w.node(layer.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', [x], [attrInts('kernel_shape', [...layer.size]), attrInts('strides', [...layer.stride])]);
          break;
        case 'globalAvgPool':
          x = w.node('GlobalAveragePool', [x]);
          break;
      }
    }
    // Flatten in NHWC order, as training and the int8 graph do.
    flats.push(w.node('Reshape', [w.node('Transpose', [x], [attrInts('perm', [0, 2, 3, 1])]), w.int64Const(w.fresh('shape'), [1, b.outputSize])]));
    return { name: b.modality, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [1, ...b.input].map((d) => ({ dimValue: d })) } } } };
  });
  let x = flats.length === 1 ? flats[0]! : w.node('Concat', flats, [attrInt('axis', 1)]);
  for (const layer of arch.head) {
    const f = folded.get(layer.name);
    if (f?.kind !== 'dense') throw new Error(`exportFloatModelToOnnx: layer "${layer.name}" was not folded`);
    const [units, inSize] = f.dense.shape;
    x = w.node('Gemm', [x, w.floatConst(`${layer.name}/W`, Array.from(f.dense.weights), [units, inSize]), w.floatConst(`${layer.name}/B`, Array.from(f.dense.bias), [units])], [attrInt('transB', 1)]);
    x = activate(x, layer.spec.activation);
  }
  w.node('Identity', [x], [], 'logits');
  const outputs = [{ name: 'logits', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [1, arch.spec.classes].map((d) => ({ dimValue: d })) } } } }];
  return encodeModel(w, { name: arch.spec.name, inputs, outputs, producerVersion });
}
