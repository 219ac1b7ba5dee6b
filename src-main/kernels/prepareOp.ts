/**
 * Graph op → kernel parameters: shapes resolved, float scales turned into multipliers/shifts (requant.ts).
 * runGraph executes these and the firmware blob writer serializes the very same objects, so the device
 * runs exactly the numbers the reference ran.
 */
import type { Int8Graph, Int8Op, Int8Tensor, TensorId } from '../graph/int8Graph';
import type { Conv2DParams } from './conv2d';
import type { DenseParams } from './dense';
import type { PoolParams } from './maxPool';
import type { GlobalAvgPoolParams } from './globalAvgPool';
import type { ConcatParams } from './concat';
import type { SoftmaxParams } from './softmax';
import { addRequant, channelRequant, rescale, softmaxRequant, type AddRequant } from './requant';

export type PreparedOp =
  | { readonly kind: 'conv2d'; readonly op: Int8Op & { kind: 'conv2d' }; readonly params: Conv2DParams }
  | { readonly kind: 'dense'; readonly op: Int8Op & { kind: 'dense' }; readonly params: DenseParams }
  | { readonly kind: 'maxPool' | 'avgPool'; readonly op: Int8Op & { kind: 'maxPool' | 'avgPool' }; readonly params: PoolParams }
  | { readonly kind: 'globalAvgPool'; readonly op: Int8Op & { kind: 'globalAvgPool' }; readonly params: GlobalAvgPoolParams }
  | { readonly kind: 'concat'; readonly op: Int8Op & { kind: 'concat' }; readonly params: ConcatParams }
  | {
      readonly kind: 'add';
      readonly op: Int8Op & { kind: 'add' };
      readonly params: AddRequant;
      readonly clamp: readonly [number, number];
    }
  | { readonly kind: 'reshape'; readonly op: Int8Op & { kind: 'reshape' } }
  | { readonly kind: 'softmax'; readonly op: Int8Op & { kind: 'softmax' }; readonly params: SoftmaxParams };

function hwc(t: Int8Tensor): [number, number, number] {
  if (t.shape.length !== 3) throw new RangeError(`tensor ${t.name}: expected [H, W, C], got [${t.shape.join(', ')}]`);
  return [t.shape[0]!, t.shape[1]!, t.shape[2]!];
}

function elements(t: Int8Tensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function lastAxis(t: Int8Tensor): number {
  return t.shape[t.shape.length - 1] ?? 1;
}

export function prepareOp(graph: Int8Graph, op: Int8Op): PreparedOp {
  const tensor = (id: TensorId): Int8Tensor => {
    const t = graph.tensors[id];
    if (!t || t.id !== id) throw new RangeError(`tensor ${id} missing or out of order in graph ${graph.name}`);
    return t;
  };
  switch (op.kind) {
    case 'conv2d': {
      const input = tensor(op.input);
      const weights = tensor(op.weights);
      const output = tensor(op.output);
      const outShape = hwc(output);
      return {
        kind: 'conv2d',
        op,
        params: {
          inputShape: hwc(input),
          outputShape: outShape,
          kernel: [weights.shape[1]!, weights.shape[2]!],
          stride: op.stride,
          padding: op.padding,
          groups: op.groups,
          requant: channelRequant(input.quant, weights.quant, output.quant, outShape[2]),
          clamp: op.clamp,
        },
      };
    }
    case 'dense': {
      const input = tensor(op.input);
      const weights = tensor(op.weights);
      const output = tensor(op.output);
      return {
        kind: 'dense',
        op,
        params: {
          inputSize: elements(input),
          outputSize: elements(output),
          requant: channelRequant(input.quant, weights.quant, output.quant, elements(output)),
          clamp: op.clamp,
        },
      };
    }
    case 'maxPool':
    case 'avgPool': {
      const input = tensor(op.input);
      const output = tensor(op.output);
      return {
        kind: op.kind,
        op,
        params: {
          inputShape: hwc(input),
          outputShape: hwc(output),
          size: op.size,
          stride: op.stride,
          padding: op.padding,
          rescale: rescale(input.quant, output.quant),
        },
      };
    }
    case 'globalAvgPool': {
      const input = tensor(op.input);
      const output = tensor(op.output);
      return { kind: 'globalAvgPool', op, params: { inputShape: hwc(input), rescale: rescale(input.quant, output.quant) } };
    }
    case 'concat': {
      const output = tensor(op.output);
      const inputs = op.inputs.map(tensor);
      return {
        kind: 'concat',
        op,
        params: {
          outerSize: elements(output) / lastAxis(output),
          axisSizes: inputs.map(lastAxis),
          rescales: inputs.map((t) => rescale(t.quant, output.quant)),
        },
      };
    }
    case 'add': {
      const [a, b] = op.inputs.map(tensor) as [Int8Tensor, Int8Tensor];
      return { kind: 'add', op, params: addRequant(a.quant, b.quant, tensor(op.output).quant), clamp: op.clamp };
    }
    case 'reshape':
      return { kind: 'reshape', op };
    case 'softmax': {
      const input = tensor(op.input);
      const depth = lastAxis(input);
      if (depth > 256) throw new RangeError('softmax: more than 256 classes would overflow the Q12.19 sum shift');
      return { kind: 'softmax', op, params: { outerSize: elements(input) / depth, depth, requant: softmaxRequant(input.quant) } };
    }
  }
}
