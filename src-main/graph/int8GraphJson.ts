/**
 * The int8 graph as a JSON file inside a model package: the exact integers the reference kernels, the
 * firmware blob and the golden vectors are built from, so a package can be re-exported or re-checked
 * without retraining. Constants travel as base64; everything is validated on load.
 */
import { z } from 'zod';
import type { Int8Graph, Int8Op, Int8Tensor } from './int8Graph';

const id = z.number().int().nonnegative();
const pair = z.tuple([z.number().int().positive(), z.number().int().positive()]);
const clamp = z.tuple([z.number().int().min(-128).max(127), z.number().int().min(-128).max(127)]);
const padding = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]);

const tensorSchema = z.object({
  id,
  name: z.string(),
  shape: z.array(z.number().int().positive()),
  dtype: z.enum(['int8', 'int32']),
  quant: z.object({ scales: z.array(z.number().positive()).min(1), zeroPoint: z.number().int().min(-128).max(127) }),
  data: z.string().optional(),
});

const opSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('conv2d'), input: id, weights: id, bias: id, output: id, stride: pair, padding, groups: z.number().int().positive(), clamp }),
  z.object({ kind: z.literal('dense'), input: id, weights: id, bias: id, output: id, clamp }),
  z.object({ kind: z.enum(['maxPool', 'avgPool']), input: id, output: id, size: pair, stride: pair, padding }),
  z.object({ kind: z.literal('globalAvgPool'), input: id, output: id }),
  z.object({ kind: z.literal('concat'), inputs: z.array(id).min(1), output: id }),
  z.object({ kind: z.literal('add'), inputs: z.tuple([id, id]), output: id, clamp }),
  z.object({ kind: z.literal('reshape'), input: id, output: id }),
  z.object({ kind: z.literal('softmax'), input: id, output: id }),
]);

const graphSchema = z.object({
  format: z.literal('tinym2-int8-graph'),
  version: z.literal(1),
  name: z.string(),
  tensors: z.array(tensorSchema),
  ops: z.array(opSchema),
  inputs: z.array(id),
  modalities: z.array(z.string()),
  outputs: z.array(id),
});

export class Int8GraphFileError extends Error {
  override readonly name = 'Int8GraphFileError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

function toBase64(data: Int8Array | Int32Array): string {
  // Little-endian on every platform we run on; the blob writer makes the same assumption explicit.
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function serializeInt8Graph(graph: Int8Graph): string {
  return JSON.stringify({
    format: 'tinym2-int8-graph',
    version: 1,
    name: graph.name,
    tensors: graph.tensors.map((t) => ({ ...t, shape: [...t.shape], quant: { scales: [...t.quant.scales], zeroPoint: t.quant.zeroPoint }, data: t.data ? toBase64(t.data) : undefined })),
    ops: graph.ops,
    inputs: graph.inputs,
    modalities: graph.modalities,
    outputs: graph.outputs,
  });
}

export function parseInt8Graph(text: string, file: string): Int8Graph {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Int8GraphFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  const parsed = graphSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Int8GraphFileError(file, `field '${issue.path.join('.')}': ${issue.message}`);
  }
  const g = parsed.data;
  const tensors: Int8Tensor[] = g.tensors.map((t, i) => {
    if (t.id !== i) throw new Int8GraphFileError(file, `field 'tensors.${i}.id': expected ${i}, got ${t.id}`);
    const elements = t.shape.reduce((a, b) => a * b, 1);
    let data: Int8Array | Int32Array | undefined;
    if (t.data !== undefined) {
      const bytes = Buffer.from(t.data, 'base64');
      const width = t.dtype === 'int8' ? 1 : 4;
      if (bytes.byteLength !== elements * width) {
        throw new Int8GraphFileError(file, `field 'tensors.${i}.data': ${bytes.byteLength} bytes for shape [${t.shape.join(', ')}] ${t.dtype}`);
      }
      const copy = new Uint8Array(bytes);
      data = t.dtype === 'int8' ? new Int8Array(copy.buffer) : new Int32Array(copy.buffer);
    }
    return { id: t.id, name: t.name, shape: t.shape, dtype: t.dtype, quant: t.quant, ...(data ? { data } : {}) };
  });
  const inRange = (x: number, where: string) => {
    if (x >= tensors.length) throw new Int8GraphFileError(file, `${where}: tensor ${x} does not exist (${tensors.length} tensors)`);
  };
  g.ops.forEach((op, i) => {
    const ids = 'inputs' in op ? [...op.inputs, op.output] : [op.input, op.output, ...('weights' in op ? [op.weights, op.bias] : [])];
    ids.forEach((x) => inRange(x, `field 'ops.${i}'`));
  });
  [...g.inputs, ...g.outputs].forEach((x) => inRange(x, 'field inputs/outputs'));
  if (g.modalities.length !== g.inputs.length) throw new Int8GraphFileError(file, `field 'modalities': ${g.modalities.length} names for ${g.inputs.length} inputs`);
  return { name: g.name, tensors, ops: g.ops as Int8Op[], inputs: g.inputs, modalities: g.modalities, outputs: g.outputs };
}
