/** Building ONNX graphs with onnx-proto: nodes, typed initializers and the model envelope (opset 13). */
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS; Node's ESM loader cannot see its named export.
const { onnx } = onnxProto;
export type NodeInit = ConstructorParameters<typeof onnx.NodeProto>[0] & object;
export type TensorInit = ConstructorParameters<typeof onnx.TensorProto>[0] & object;
export type AttributeInit = ConstructorParameters<typeof onnx.AttributeProto>[0] & object;

export const DT = onnx.TensorProto.DataType;
export const AT = onnx.AttributeProto.AttributeType;

export function attrInt(name: string, i: number): AttributeInit {
  return { name, type: AT.INT, i };
}
export function attrInts(name: string, ints: readonly number[]): AttributeInit {
  return { name, type: AT.INTS, ints: [...ints] };
}

export class OnnxGraphWriter {
  readonly nodes: NodeInit[] = [];
  readonly initializers: TensorInit[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], attribute: AttributeInit[] = [], outputName?: string): string {
    const out = outputName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, input: inputs, output: [out], attribute, name: this.fresh(`n_${opType}`) });
    return out;
  }

  floatConst(name: string, values: readonly number[], dims: number[]): string {
    this.initializers.push({ name, dataType: DT.FLOAT, dims, floatData: [...values] });
    return name;
  }

  int8Const(name: string, values: Int8Array | readonly number[], dims: number[]): string {
    // int8 initializers travel as raw little-endian bytes (one byte each).
    this.initializers.push({ name, dataType: DT.INT8, dims, rawData: Uint8Array.from(values, (v) => v & 0xff) });
    return name;
  }

  int32Const(name: string, values: Int32Array | readonly number[], dims: number[]): string {
    this.initializers.push({ name, dataType: DT.INT32, dims, int32Data: [...values] });
    return name;
  }

  int64Const(name: string, values: readonly number[]): string {
    this.initializers.push({ name, dataType: DT.INT64, dims: [values.length], int64Data: [...values] });
    return name;
  }
}

type ValueInfoInit = ConstructorParameters<typeof onnx.ValueInfoProto>[0] & object;

export function encodeModel(
  w: OnnxGraphWriter,
  g: { readonly name: string; readonly inputs: ValueInfoInit[]; readonly outputs: ValueInfoInit[]; readonly producerVersion?: string | undefined },
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tinym2-studio',
    producerVersion: g.producerVersion ?? '0',
    graph: { name: g.name, node: w.nodes, initializer: w.initializers, input: g.inputs, output: g.outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}
