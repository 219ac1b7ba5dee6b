/** Executes an Int8Graph with the reference kernels: the golden model for the firmware runtime. */
import { tensorBytes, type Int8Graph, type TensorId } from '../graph/int8Graph';
import { prepareOp, type PreparedOp } from './prepareOp';
import { conv2d } from './conv2d';
import { dense } from './dense';
import { maxPool } from './maxPool';
import { avgPool } from './avgPool';
import { globalAvgPool } from './globalAvgPool';
import { concat } from './concat';
import { add } from './add';
import { reshape } from './reshape';
import { softmax } from './softmax';

export interface GraphRun {
  readonly outputs: Int8Array[];
  /** Every activation tensor's value, for layer-by-layer comparison with a device. */
  readonly activations: Map<TensorId, Int8Array>;
}

export function runPreparedOp(prepared: PreparedOp, read: (id: TensorId) => Int8Array | Int32Array, out: Int8Array): void {
  const i8 = (id: TensorId): Int8Array => read(id) as Int8Array;
  const i32 = (id: TensorId): Int32Array => read(id) as Int32Array;
  switch (prepared.kind) {
    case 'conv2d':
      return conv2d(prepared.params, i8(prepared.op.input), i8(prepared.op.weights), i32(prepared.op.bias), out);
    case 'dense':
      return dense(prepared.params, i8(prepared.op.input), i8(prepared.op.weights), i32(prepared.op.bias), out);
    case 'maxPool':
      return maxPool(prepared.params, i8(prepared.op.input), out);
    case 'avgPool':
      return avgPool(prepared.params, i8(prepared.op.input), out);
    case 'globalAvgPool':
      return globalAvgPool(prepared.params, i8(prepared.op.input), out);
    case 'concat':
      return concat(prepared.params, prepared.op.inputs.map(i8), out);
    case 'add':
      return add(prepared.params, prepared.clamp, i8(prepared.op.inputs[0]), i8(prepared.op.inputs[1]), out);
    case 'reshape':
      return reshape(i8(prepared.op.input), out);
    case 'softmax':
      return softmax(prepared.params, i8(prepared.op.input), out);
  }
}

export function runGraph(graph: Int8Graph, inputs: readonly Int8Array[]): GraphRun {
  if (inputs.length !== graph.inputs.length) throw new RangeError(`graph ${graph.name} takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  const activations = new Map<TensorId, Int8Array>();
  graph.inputs.forEach((id, k) => {
    const t = graph.tensors[id]!;
    const value = inputs[k]!;
    if (value.length !== tensorBytes(t)) throw new RangeError(`input ${t.name}: expected ${tensorBytes(t)} values, got ${value.length}`);
    activations.set(id, value);
  });
  const read = (id: TensorId): Int8Array | Int32Array => {
    const value = graph.tensors[id]?.data ?? activations.get(id);
    if (!value) throw new Error(`tensor ${id} read before it was computed`);
    return value;
  };
  for (const op of graph.ops) {
    const out = new Int8Array(tensorBytes(graph.tensors[op.output]!));
    runPreparedOp(prepareOp(graph, op), read, out);
    activations.set(op.output, out);
  }
  return { outputs: graph.outputs.map((id) => read(id) as Int8Array), activations };
}
