import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { tensorBytes, type Int8Graph } from '../../src-main/graph/int8Graph';
import { BLOB_HEADER_BYTES, OP_CODES, writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { parseFirmwareBlob } from '../../src-main/export/firmwareBlobParse';
import { prepareOp } from '../../src-main/kernels/prepareOp';
import { planMemory } from '../../src-main/planner/planMemory';
import type { ArenaPlan } from '../../src-main/planner/arenaPlan';
import { randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { sequentialArenaPlan } from '../fixtures/sequentialArenaPlan';

const meta = { modelId: 'cough-speech-demo', modelVersion: '1.2.3' };

function roundTrip(graph: Int8Graph, plan: ArenaPlan): void {
  const blob = writeFirmwareBlob(graph, plan, meta);
  const parsed = parseFirmwareBlob(blob);
  assert.equal(parsed.totalBytes, blob.length);
  assert.equal(parsed.arenaBytes, plan.arenaBytes);
  assert.equal(parsed.modelId, meta.modelId);
  assert.equal(parsed.modelVersion, meta.modelVersion);
  assert.deepEqual(parsed.modalities, graph.modalities);
  assert.deepEqual(parsed.inputs, graph.inputs);
  assert.deepEqual(parsed.outputs, graph.outputs);
  assert.equal(parsed.tensors.length, graph.tensors.length);
  graph.tensors.forEach((t, id) => {
    const b = parsed.tensors[id]!;
    assert.deepEqual(b.shape, t.shape, t.name);
    assert.equal(b.dtype, t.dtype);
    assert.equal(b.bytes, tensorBytes(t));
    assert.equal(b.zeroPoint, t.quant.zeroPoint);
    assert.equal(b.scale, Math.fround(t.quant.scales[0]!));
    if (t.data) {
      assert.equal(b.storage, 'constant');
      if (t.dtype === 'int32') assert.equal(b.offset % 4, 0, `${t.name} is 4-aligned`);
      const bytes = parsed.constants.subarray(b.offset, b.offset + b.bytes);
      const expected = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength); // little-endian host
      assert.deepEqual(bytes, expected, `${t.name} constant bytes`);
    } else {
      assert.equal(b.storage, 'arena');
      assert.equal(b.offset, plan.offsets.get(id));
    }
  });
  // Ops in plan order, each carrying exactly prepareOp's integers.
  assert.equal(parsed.ops.length, plan.order.length);
  plan.order.forEach((index, k) => {
    const op = graph.ops[index]!;
    const got = parsed.ops[k]!;
    assert.equal(got.kind, op.kind);
    assert.equal(got.output, op.output);
    const prepared = prepareOp(graph, op);
    if (prepared.kind === 'conv2d' || prepared.kind === 'dense') {
      const { multipliers, shifts } = prepared.params.requant;
      const n = multipliers.length;
      assert.deepEqual(Array.from(got.params.subarray(got.params.length - 2 * n, got.params.length - n)), Array.from(multipliers));
      assert.deepEqual(Array.from(got.params.subarray(got.params.length - n)), Array.from(shifts));
      assert.deepEqual(got.inputs, [prepared.op.input, prepared.op.weights, prepared.op.bias]);
    }
    if (prepared.kind === 'add') {
      const p = prepared.params;
      assert.deepEqual(Array.from(got.params), [p.leftShift, p.input1Offset, p.input2Offset, p.input1Multiplier, p.input1Shift, p.input2Multiplier, p.input2Shift, p.outputMultiplier, p.outputShift, p.outputOffset, prepared.clamp[0], prepared.clamp[1]]);
    }
    if (prepared.kind === 'softmax') {
      const p = prepared.params;
      assert.deepEqual(Array.from(got.params), [p.outerSize, p.depth, p.requant.inputMultiplier, p.requant.inputLeftShift, p.requant.diffMin]);
    }
  });
  // Integrity fields are what the C parser recomputes.
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  assert.equal(view.getUint32(12, true), crc32(blob.subarray(16)));
  assert.deepEqual(Buffer.from(blob.subarray(16, 48)), createHash('sha256').update(blob.subarray(BLOB_HEADER_BYTES)).digest());
}

test('a blob round-trips through the parser with a sequential plan: tensors, constants, prepared params, strings', () => {
  for (const seed of [1, 2, 3]) roundTrip(randomTwoBranchGraph(seed), sequentialArenaPlan(randomTwoBranchGraph(seed)));
});

test('a blob round-trips with the real memory planner (its order and aliased offsets)', () => {
  for (const seed of [1, 5]) {
    const graph = randomTwoBranchGraph(seed);
    const plan = planMemory(graph);
    roundTrip(graph, plan);
    assert.ok(plan.arenaBytes < sequentialArenaPlan(graph).arenaBytes, 'the planner reuses bytes');
  }
});

test('the same graph and plan always give the same bytes (reproducible deploys)', () => {
  const graph = randomTwoBranchGraph(4);
  const a = writeFirmwareBlob(graph, sequentialArenaPlan(graph), meta);
  const b = writeFirmwareBlob(randomTwoBranchGraph(4), sequentialArenaPlan(graph), meta);
  assert.deepEqual(a, b);
  assert.equal(a.length % 4, 0);
  assert.equal(new TextDecoder().decode(a.subarray(0, 4)), 'TM2B');
  assert.equal(Object.keys(OP_CODES).length, 9);
});

test('bad plans and metadata are refused with the field named', () => {
  const graph = randomTwoBranchGraph(1);
  const plan = sequentialArenaPlan(graph);
  const missing = new Map(plan.offsets);
  missing.delete(graph.inputs[0]!);
  assert.throws(() => writeFirmwareBlob(graph, { ...plan, offsets: missing }, meta), /activation cough \(tensor 0\) has no arena offset/);
  assert.throws(() => writeFirmwareBlob(graph, { ...plan, arenaBytes: plan.arenaBytes - 4 }, meta), /exceeds the arena/);
  assert.throws(() => writeFirmwareBlob(graph, { ...plan, order: plan.order.slice(1) }, meta), /plan\.order must name each/);
  assert.throws(() => writeFirmwareBlob(graph, { ...plan, order: [...plan.order].reverse() }, meta), /reads tensor \d+ before it is computed/);
  assert.throws(() => writeFirmwareBlob(graph, plan, { ...meta, modelId: 'x'.repeat(300) }), /modelId is 300 UTF-8 bytes/);
});

test('the parser rejects corrupted blobs naming the field', () => {
  const graph = randomTwoBranchGraph(2);
  const blob = writeFirmwareBlob(graph, sequentialArenaPlan(graph), meta);
  assert.throws(() => parseFirmwareBlob(blob.subarray(0, 50)), /header: blob is 50 bytes/);
  const badMagic = blob.slice();
  badMagic[0] = 0x58;
  assert.throws(() => parseFirmwareBlob(badMagic), /magic/);
  const flipped = blob.slice();
  flipped[blob.length - 1]! ^= 1;
  assert.throws(() => parseFirmwareBlob(flipped), /crc32: mismatch/);
  assert.throws(() => parseFirmwareBlob(blob.subarray(0, blob.length - 4)), /totalBytes/);
});
