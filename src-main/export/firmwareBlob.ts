/**
 * Int8Graph + ArenaPlan → the firmware blob the C runtime (firmware/runtime/) loads. Byte layout:
 * firmware/BLOB_FORMAT.md. Every op record carries the integer parameters prepareOp computed, so the
 * device runs the very multipliers and shifts the TypeScript reference ran, and never sees a float.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { tensorBytes, type Int8Graph, type Int8Tensor, type TensorId } from '../graph/int8Graph';
import { prepareOp, type PreparedOp } from '../kernels/prepareOp';
import type { Rescale } from '../kernels/requant';
import type { ArenaPlan } from '../planner/arenaPlan';

export const BLOB_MAGIC = 'TM2B';
export const BLOB_FORMAT_VERSION = 1;
export const BLOB_HEADER_BYTES = 104;
export const BLOB_TENSOR_RECORD_BYTES = 36;
/** The C runtime's fixed bound (TM2_MAX_CONCAT_INPUTS): it keeps input pointers on the stack. */
export const BLOB_MAX_CONCAT_INPUTS = 16;
export const BLOB_MAX_STRING_BYTES = 255;

export const OP_CODES = {
  conv2d: 1,
  dense: 2,
  maxPool: 3,
  avgPool: 4,
  globalAvgPool: 5,
  concat: 6,
  add: 7,
  reshape: 8,
  softmax: 9,
} as const;

export interface FirmwareBlobMeta {
  /** Identifies the model on the device (e.g. the model package id); at most 255 UTF-8 bytes. */
  readonly modelId: string;
  readonly modelVersion: string;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Little-endian byte sink that grows as needed. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  i32(v: number): void {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`firmware blob: ${v} is not an int32`);
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad4(): void {
    while (this.length % 4 !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkPlan(graph: Int8Graph, plan: ArenaPlan): void {
  const where = `firmware blob for graph ${graph.name}`;
  if (plan.order.length !== graph.ops.length || new Set(plan.order).size !== graph.ops.length) {
    throw new RangeError(`${where}: plan.order must name each of the ${graph.ops.length} ops exactly once`);
  }
  const produced = new Set<TensorId>(graph.inputs);
  for (const index of plan.order) {
    const op = graph.ops[index];
    if (!op) throw new RangeError(`${where}: plan.order names op ${index}, which does not exist`);
    const inputs = op.kind === 'concat' || op.kind === 'add' ? op.inputs : [op.input];
    for (const id of inputs) {
      if (!produced.has(id)) throw new RangeError(`${where}: op ${index} (${op.kind}) reads tensor ${id} before it is computed in plan.order`);
    }
    produced.add(op.output);
  }
  if (!Number.isInteger(plan.arenaBytes) || plan.arenaBytes < 0 || plan.arenaBytes > 0xffffffff) {
    throw new RangeError(`${where}: arenaBytes ${plan.arenaBytes} is not a uint32`);
  }
  for (const t of graph.tensors) {
    if (t.data) continue;
    const offset = plan.offsets.get(t.id);
    if (offset === undefined) throw new RangeError(`${where}: activation ${t.name} (tensor ${t.id}) has no arena offset in the plan`);
    if (!Number.isInteger(offset) || offset < 0 || offset + tensorBytes(t) > plan.arenaBytes) {
      throw new RangeError(`${where}: activation ${t.name} at arena offset ${offset} (+${tensorBytes(t)} bytes) exceeds the arena of ${plan.arenaBytes} bytes`);
    }
  }
}

function utf8(what: string, s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length > BLOB_MAX_STRING_BYTES) throw new RangeError(`firmware blob: ${what} is ${b.length} UTF-8 bytes, at most ${BLOB_MAX_STRING_BYTES} allowed`);
  return b;
}

function float32Bits(x: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x, true);
  return v.getUint32(0, true);
}

function writeRescale(w: ByteWriter, r: Rescale): void {
  w.i32(r.inputZeroPoint);
  w.i32(r.outputZeroPoint);
  w.i32(r.multiplier);
  w.i32(r.shift);
}

function writeTriple(w: ByteWriter, v: readonly number[]): void {
  for (const x of v) w.i32(x);
}

function opInputIds(p: PreparedOp): readonly TensorId[] {
  switch (p.kind) {
    case 'conv2d':
    case 'dense':
      return [p.op.input, p.op.weights, p.op.bias];
    case 'concat':
    case 'add':
      return p.op.inputs;
    default:
      return [p.op.input];
  }
}

function writeOpParams(w: ByteWriter, p: PreparedOp): void {
  switch (p.kind) {
    case 'conv2d': {
      const q = p.params;
      writeTriple(w, q.inputShape);
      writeTriple(w, q.outputShape);
      writeTriple(w, [...q.kernel, ...q.stride, ...q.padding, q.groups]);
      writeTriple(w, [q.requant.inputOffset, q.requant.outputOffset, q.clamp[0], q.clamp[1]]);
      writeTriple(w, Array.from(q.requant.multipliers));
      writeTriple(w, Array.from(q.requant.shifts));
      return;
    }
    case 'dense': {
      const q = p.params;
      writeTriple(w, [q.inputSize, q.outputSize, q.requant.inputOffset, q.requant.outputOffset, q.clamp[0], q.clamp[1]]);
      writeTriple(w, Array.from(q.requant.multipliers));
      writeTriple(w, Array.from(q.requant.shifts));
      return;
    }
    case 'maxPool':
    case 'avgPool': {
      const q = p.params;
      writeTriple(w, [...q.inputShape, ...q.outputShape, ...q.size, ...q.stride, ...q.padding]);
      writeRescale(w, q.rescale);
      return;
    }
    case 'globalAvgPool':
      writeTriple(w, p.params.inputShape);
      writeRescale(w, p.params.rescale);
      return;
    case 'concat':
      w.i32(p.params.outerSize);
      p.params.axisSizes.forEach((size, k) => {
        w.i32(size);
        writeRescale(w, p.params.rescales[k]!);
      });
      return;
    case 'add': {
      const q = p.params;
      writeTriple(w, [q.leftShift, q.input1Offset, q.input2Offset, q.input1Multiplier, q.input1Shift, q.input2Multiplier, q.input2Shift]);
      writeTriple(w, [q.outputMultiplier, q.outputShift, q.outputOffset, p.clamp[0], p.clamp[1]]);
      return;
    }
    case 'reshape':
      return;
    case 'softmax': {
      const q = p.params;
      writeTriple(w, [q.outerSize, q.depth, q.requant.inputMultiplier, q.requant.inputLeftShift, q.requant.diffMin]);
      return;
    }
  }
}

function constantBytes(t: Int8Tensor): Uint8Array {
  const data = t.data!;
  const expected = tensorBytes(t);
  if (data.byteLength !== expected || (t.dtype === 'int32') !== data instanceof Int32Array) {
    throw new RangeError(`firmware blob: constant ${t.name} holds ${data.byteLength} bytes of ${data.constructor.name}, expected ${expected} bytes of ${t.dtype}`);
  }
  if (data instanceof Int8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setInt32(i * 4, v, true));
  return out;
}

export function writeFirmwareBlob(graph: Int8Graph, plan: ArenaPlan, meta: FirmwareBlobMeta): Uint8Array {
  const where = `firmware blob for graph ${graph.name}`;
  checkPlan(graph, plan);
  if (graph.tensors.length > 0xffff || graph.ops.length > 0xffff) throw new RangeError(`${where}: more than 65535 tensors or ops`);
  if (graph.modalities.length !== graph.inputs.length) {
    throw new RangeError(`${where}: ${graph.inputs.length} inputs but ${graph.modalities.length} modality names`);
  }
  graph.tensors.forEach((t, i) => {
    if (t.id !== i) throw new RangeError(`${where}: tensor ${t.name} has id ${t.id} at index ${i}`);
    if (t.shape.length < 1 || t.shape.length > 4) throw new RangeError(`${where}: tensor ${t.name} has rank ${t.shape.length}, the runtime takes 1 to 4`);
  });

  // Constants first, so their section offsets are known when the tensor table is written.
  const constants = new ByteWriter();
  const constantOffset = new Map<TensorId, number>();
  for (const t of graph.tensors) {
    if (!t.data) continue;
    constants.pad4();
    constantOffset.set(t.id, constants.length);
    constants.bytes(constantBytes(t));
  }
  constants.pad4();

  const tensors = new ByteWriter();
  for (const t of graph.tensors) {
    tensors.u8(t.dtype === 'int8' ? 0 : 1);
    tensors.u8(t.data ? 1 : 0);
    tensors.u8(t.shape.length);
    tensors.u8(0);
    for (let d = 0; d < 4; d++) tensors.u32(t.shape[d] ?? 1);
    tensors.u32(t.data ? constantOffset.get(t.id)! : plan.offsets.get(t.id)!);
    tensors.u32(tensorBytes(t));
    tensors.i32(t.quant.zeroPoint);
    tensors.u32(float32Bits(t.quant.scales[0] ?? 0));
  }

  const io = new ByteWriter();
  for (const id of [...graph.inputs, ...graph.outputs]) io.u16(id);
  io.pad4();

  const strings = new ByteWriter();
  for (const [what, s] of [
    ['modelId', meta.modelId],
    ['modelVersion', meta.modelVersion],
    ...graph.modalities.map((m, k) => [`modality ${k}`, m] as const),
  ] as const) {
    const b = utf8(what, s);
    strings.u16(b.length);
    strings.bytes(b);
  }
  strings.pad4();

  const ops = new ByteWriter();
  for (const index of plan.order) {
    const prepared = prepareOp(graph, graph.ops[index]!);
    const inputs = opInputIds(prepared);
    if (prepared.kind === 'concat' && inputs.length > BLOB_MAX_CONCAT_INPUTS) {
      throw new RangeError(`${where}: concat op ${index} has ${inputs.length} inputs, the runtime takes at most ${BLOB_MAX_CONCAT_INPUTS}`);
    }
    const params = new ByteWriter();
    writeOpParams(params, prepared);
    const headBytes = align4(8 + 2 * inputs.length);
    ops.u8(OP_CODES[prepared.kind]);
    ops.u8(inputs.length);
    ops.u16(prepared.op.output);
    ops.u32(headBytes + params.length);
    for (const id of inputs) ops.u16(id);
    ops.pad4();
    ops.bytes(params.result());
  }

  const sections = [tensors, io, strings, ops, constants];
  const offsets: number[] = [];
  let cursor = BLOB_HEADER_BYTES;
  for (const s of sections) {
    offsets.push(cursor);
    cursor += s.length;
  }
  const total = cursor;
  const blob = new Uint8Array(total);
  sections.forEach((s, k) => blob.set(s.result(), offsets[k]!));

  const view = new DataView(blob.buffer);
  blob.set(new TextEncoder().encode(BLOB_MAGIC), 0);
  view.setUint16(4, BLOB_FORMAT_VERSION, true);
  view.setUint16(6, BLOB_HEADER_BYTES, true);
  view.setUint32(8, total, true);
  view.setUint32(48, plan.arenaBytes, true);
  view.setUint16(52, graph.tensors.length, true);
  view.setUint16(54, graph.ops.length, true);
  view.setUint16(56, graph.inputs.length, true);
  view.setUint16(58, graph.outputs.length, true);
  sections.forEach((s, k) => {
    view.setUint32(60 + 8 * k, offsets[k]!, true);
    view.setUint32(64 + 8 * k, s.length, true);
  });
  view.setUint32(100, 0, true); // flags, reserved
  blob.set(createHash('sha256').update(blob.subarray(BLOB_HEADER_BYTES)).digest(), 16);
  view.setUint32(12, crc32(blob.subarray(16)), true);
  return blob;
}
