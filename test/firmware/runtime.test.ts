import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { BLOB_HEADER_BYTES, BLOB_TENSOR_RECORD_BYTES, OP_CODES, writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { exportInt8GraphToOnnx } from '../../src-main/export/onnxInt8';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { runGraph } from '../../src-main/kernels/runGraph';
import { planMemory } from '../../src-main/planner/planMemory';
import { seededRandom } from '../../src-main/train/random';
import { randomInt8Inputs, randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { sequentialArenaPlan } from '../fixtures/sequentialArenaPlan';
import { buildFirmware, tempDir } from './buildFirmware';

// The C runtime's tm2_status codes (firmware/runtime/model_parser.h).
const S = {
  OK: 0, TOO_SMALL: 2, MAGIC: 3, VERSION: 4, HEADER_SIZE: 5, TOTAL_SIZE: 6, CRC: 7, SHA256: 8, FLAGS: 9, SECTION: 10, COUNTS: 11,
  TENSOR: 12, TENSOR_BOUNDS: 13, IO: 14, STRINGS: 15, OP_RECORD: 16, OP_KIND: 17, OP_TENSOR: 18, OP_SHAPE: 19, OP_PARAMS: 20,
  OP_OVERLAP: 23,
} as const;
const STATUS_COUNT = 24;
/** malformed_test.c's wildcard: any status, ok included (it still must not misbehave). */
const ANYTHING = STATUS_COUNT + 2;

const build = buildFirmware('host-san');
const work = tempDir('tm2-runtime-test-');
const tm2Run = path.join(build, 'host', 'tm2_run');
const meta = { modelId: 'test-model', modelVersion: '0.0.1' };

/** Runs the C runtime on input sets back to back; returns each set's outputs concatenated. */
function runC(blob: Uint8Array, sets: Int8Array[][], outBytes: number): Int8Array[] {
  const blobFile = path.join(work, 'model.blob');
  const inFile = path.join(work, 'inputs.bin');
  const outFile = path.join(work, 'outputs.bin');
  writeFileSync(blobFile, blob);
  writeFileSync(inFile, Buffer.concat(sets.flat().map((a) => Buffer.from(a.buffer, a.byteOffset, a.length))));
  execFileSync(tm2Run, [blobFile, inFile, outFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = readFileSync(outFile);
  assert.equal(out.length, sets.length * outBytes, 'one output set per input set');
  return sets.map((_, s) => new Int8Array(out.buffer, out.byteOffset + s * outBytes, outBytes));
}

test('the C runtime (ASan+UBSan build) is bit-exact with runGraph, and within 1 LSB of onnxruntime on the logits', async () => {
  let compared = 0;
  let onnxCompared = 0;
  let onnxExact = 0;
  let onnxMax = 0;
  for (const seed of [1, 2, 3]) {
    const base = randomTwoBranchGraph(seed);
    const softmax = base.ops.find((op) => op.kind === 'softmax')!;
    const graph: Int8Graph = { ...base, outputs: [softmax.input, softmax.output] };
    const plans = seed === 1 ? [planMemory(graph), sequentialArenaPlan(graph)] : [planMemory(graph)];
    const sets = Array.from({ length: 20 }, (_, k) => randomInt8Inputs(graph, seed * 1000 + k));
    const references = sets.map((inputs) => runGraph(graph, inputs).outputs);
    const outBytes = references[0]!.reduce((n, o) => n + o.length, 0);
    let cOutputs: Int8Array[] = [];
    for (const plan of plans) {
      const got = runC(writeFirmwareBlob(graph, plan, meta), sets, outBytes);
      cOutputs = got;
      references.forEach((outs, s) => {
        const want = Int8Array.from(outs.flatMap((o) => Array.from(o)));
        assert.deepEqual(got[s], want, `seed ${seed} set ${s}`);
        compared += want.length;
      });
    }
    const session = await ort.InferenceSession.create(exportInt8GraphToOnnx({ ...base, outputs: [softmax.input] }));
    for (const [s, inputs] of sets.entries()) {
      const feeds: Record<string, ort.Tensor> = {};
      graph.inputs.forEach((id, k) => (feeds[graph.modalities[k]!] = new ort.Tensor('int8', inputs[k]!, [1, ...graph.tensors[id]!.shape])));
      const logits = (await session.run(feeds))[session.outputNames[0]!]!.data as Int8Array;
      // outputs = [logits, probabilities]: the C logits are the first bytes of each output set.
      const cLogits = cOutputs[s]!.subarray(0, references[s]![0]!.length);
      assert.equal(logits.length, cLogits.length);
      for (let i = 0; i < cLogits.length; i++) {
        const d = Math.abs(logits[i]! - cLogits[i]!);
        onnxMax = Math.max(onnxMax, d);
        onnxCompared++;
        if (d === 0) onnxExact++;
      }
    }
    await session.release();
  }
  console.log(`C runtime vs runGraph: ${compared}/${compared} outputs bit-exact; vs onnxruntime: ${onnxExact}/${onnxCompared} logits exact, max ${onnxMax} LSB`);
  assert.ok(compared >= 3 * 20 * 6);
  assert.ok(onnxMax <= 1, `onnxruntime logits differ by ${onnxMax} LSB`);
});

/** Recomputes SHA-256 and CRC32 so a corruption reaches the checks behind them. */
function refix(blob: Uint8Array): Uint8Array {
  blob.set(createHash('sha256').update(blob.subarray(BLOB_HEADER_BYTES)).digest(), 16);
  new DataView(blob.buffer, blob.byteOffset).setUint32(12, crc32(blob.subarray(16)), true);
  return blob;
}

function opRecordOffsets(blob: Uint8Array): { kind: number; at: number }[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const start = view.getUint32(84, true);
  const end = start + view.getUint32(88, true);
  const out: { kind: number; at: number }[] = [];
  for (let at = start; at < end; at += view.getUint32(at + 4, true)) out.push({ kind: blob[at]!, at });
  return out;
}

test('malformed blobs are rejected with the right status and no sanitizer report', () => {
  const graph = randomTwoBranchGraph(9, [8, 6]);
  const good = writeFirmwareBlob(graph, planMemory(graph), meta);
  const cases: { expected: number; truncate?: boolean; blob: Uint8Array; what: string }[] = [];
  const add = (what: string, expected: number, edit: (b: Uint8Array, v: DataView) => void, fix: boolean) => {
    const b = good.slice();
    edit(b, new DataView(b.buffer));
    cases.push({ what, expected, blob: fix ? refix(b) : b });
  };
  cases.push({ what: 'intact, and every truncation of it', expected: S.OK, truncate: true, blob: good });

  // Header fields as they arrive corrupted (no CRC fix-up): the first failing check names them.
  add('magic', S.MAGIC, (b) => (b[0] = 0x58), false);
  add('version', S.VERSION, (_, v) => v.setUint16(4, 2, true), false);
  add('header size', S.HEADER_SIZE, (_, v) => v.setUint16(6, 96, true), false);
  add('total size', S.TOTAL_SIZE, (_, v) => v.setUint32(8, good.length + 4, true), false);
  add('crc field', S.CRC, (b) => (b[12]! ^= 0xff), false);
  for (const at of [16, 47, 48, 52, 54, 56, 58, 60, 72, 88, 96, 100]) add(`header byte ${at}`, S.CRC, (b) => (b[at]! ^= 0x10), false);
  // The same fields with CRC (and SHA) recomputed, so the deeper checks are reached.
  add('sha field', S.SHA256, (b) => (b[20]! ^= 1), false);
  cases[cases.length - 1]!.blob = (() => {
    const b = good.slice();
    b[20]! ^= 1;
    new DataView(b.buffer).setUint32(12, crc32(b.subarray(16)), true);
    return b;
  })();
  add('flags', S.FLAGS, (_, v) => v.setUint32(100, 1, true), true);
  add('arena bytes too small', S.TENSOR_BOUNDS, (_, v) => v.setUint32(48, 1, true), true);
  add('arena bytes ≥ 2 GiB', S.TENSOR_BOUNDS, (_, v) => v.setUint32(48, 0x80000000, true), true);
  add('tensor count', S.COUNTS, (_, v) => v.setUint16(52, v.getUint16(52, true) + 1, true), true);
  add('op count + 1', S.OP_RECORD, (_, v) => v.setUint16(54, v.getUint16(54, true) + 1, true), true);
  add('op count − 1', S.OP_RECORD, (_, v) => v.setUint16(54, v.getUint16(54, true) - 1, true), true);
  add('no outputs', S.COUNTS, (_, v) => v.setUint16(58, 0, true), true);
  add('tensor section offset', S.SECTION, (_, v) => v.setUint32(60, v.getUint32(60, true) + 4, true), true);
  add('io section offset 0', S.SECTION, (_, v) => v.setUint32(68, 0, true), true);
  add('constants size', S.SECTION, (_, v) => v.setUint32(96, v.getUint32(96, true) + 4, true), true);
  add('ops size huge', S.SECTION, (_, v) => v.setUint32(88, 0xfffffff0, true), true);

  // Payload corruptions behind valid checksums.
  const view = new DataView(good.buffer);
  const tensorAt = (id: number) => view.getUint32(60, true) + id * BLOB_TENSOR_RECORD_BYTES;
  const weightsId = graph.tensors.find((t) => t.data && t.dtype === 'int8')!.id;
  add('tensor dtype', S.TENSOR, (b) => (b[tensorAt(0)] = 5), true);
  add('tensor rank 0', S.TENSOR, (b) => (b[tensorAt(0) + 2] = 0), true);
  add('tensor rank 5', S.TENSOR, (b) => (b[tensorAt(0) + 2] = 5), true);
  add('tensor dim 0', S.TENSOR, (_, v) => v.setUint32(tensorAt(0) + 4, 0, true), true);
  add('tensor bytes', S.TENSOR, (_, v) => v.setUint32(tensorAt(0) + 24, 7, true), true);
  add('activation past the arena', S.TENSOR_BOUNDS, (_, v) => v.setUint32(tensorAt(0) + 20, v.getUint32(48, true), true), true);
  add('weights past the constants', S.TENSOR_BOUNDS, (_, v) => v.setUint32(tensorAt(weightsId) + 20, v.getUint32(96, true) - 1, true), true);
  add('input id out of range', S.IO, (_, v) => v.setUint16(v.getUint32(68, true), 0xffff, true), true);
  add('input is a constant', S.IO, (_, v) => v.setUint16(v.getUint32(68, true), weightsId, true), true);
  add('string length', S.STRINGS, (_, v) => v.setUint16(v.getUint32(76, true), 0xffff, true), true);
  const ops = opRecordOffsets(good);
  const conv = ops.find((o) => o.kind === OP_CODES.conv2d)!.at;
  const softmax = ops.find((o) => o.kind === OP_CODES.softmax)!.at;
  const addOp = ops.find((o) => o.kind === OP_CODES.add)!.at;
  const convParam = (i: number) => conv + 16 + 4 * i; // 3 inputs → 8 + 6 bytes, padded to 16
  add('op kind', S.OP_KIND, (b) => (b[conv] = 99), true);
  add('op record length', S.OP_RECORD, (_, v) => v.setUint32(conv + 4, 6, true), true);
  add('op output id', S.OP_TENSOR, (_, v) => v.setUint16(conv + 2, 0xffff, true), true);
  add('conv input is a constant', S.OP_TENSOR, (_, v) => v.setUint16(conv + 8, weightsId, true), true);
  add('conv input height', S.OP_SHAPE, (_, v) => v.setInt32(convParam(0), v.getInt32(convParam(0), true) + 1, true), true);
  add('conv stride 0', S.OP_PARAMS, (_, v) => v.setInt32(convParam(8), 0, true), true);
  add('conv groups 0', S.OP_PARAMS, (_, v) => v.setInt32(convParam(14), 0, true), true);
  add('conv clamp inverted', S.OP_PARAMS, (_, v) => {
    v.setInt32(convParam(17), 100, true);
    v.setInt32(convParam(18), 50, true);
  }, true);
  add('conv negative multiplier', S.OP_PARAMS, (_, v) => v.setInt32(convParam(19), -5, true), true);
  add('softmax depth 300', S.OP_PARAMS, (_, v) => v.setInt32(softmax + 12 + 4, 300, true), true);
  add('add left shift 40', S.OP_PARAMS, (_, v) => v.setInt32(addOp + 12, 40, true), true);
  // A planner bug placing a conv's output over its own input would silently corrupt results.
  const convIn = view.getUint16(conv + 8, true);
  const convOut = view.getUint16(conv + 2, true);
  add('conv output over its input', S.OP_OVERLAP, (_, v) => v.setUint32(tensorAt(convOut) + 20, v.getUint32(tensorAt(convIn) + 20, true), true), true);

  // Random damage: as sent (the CRC must catch it) and behind recomputed checksums (anything may happen, but safely).
  const rnd = seededRandom(77);
  for (let i = 0; i < 300; i++) {
    const at = 16 + rnd.int(good.length - 16);
    add(`flip at ${at}`, S.CRC, (b) => (b[at]! ^= 1 << rnd.int(8)), false);
  }
  for (let i = 0; i < 600; i++) {
    const spots = Array.from({ length: 1 + rnd.int(3) }, () => [BLOB_HEADER_BYTES + rnd.int(good.length - BLOB_HEADER_BYTES), 1 + rnd.int(255)] as const);
    add(`payload damage ${spots.join(';')}`, ANYTHING, (b) => spots.forEach(([at, x]) => (b[at]! ^= x)), true);
  }

  const parts: Buffer[] = [Buffer.from('TM2M'), u32(cases.length)];
  for (const c of cases) parts.push(u32(c.expected), u32(c.truncate ? 1 : 0), u32(c.blob.length), Buffer.from(c.blob), Buffer.alloc((4 - (c.blob.length % 4)) % 4));
  const file = path.join(work, 'malformed.bin');
  writeFileSync(file, Buffer.concat(parts));
  const r = spawnSync(path.join(build, 'host', 'malformed_test'), [file], { encoding: 'utf8' });
  console.log(r.stdout.trim());
  assert.equal(r.stderr, '', 'no sanitizer report');
  assert.equal(r.status, 0, r.stdout);
  const m = /malformed: (\d+) blobs, (\d+) as expected, 0 unexpected/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), cases.length + good.length, 'every case and every truncation was checked');
});

test('tm2_run reports a rejected blob by its status code and message', () => {
  const graph = randomTwoBranchGraph(3, [8, 6]);
  const blob = writeFirmwareBlob(graph, sequentialArenaPlan(graph), meta);
  blob[blob.length - 1]! ^= 0x40;
  const blobFile = path.join(work, 'corrupt.blob');
  writeFileSync(blobFile, blob);
  writeFileSync(path.join(work, 'in.bin'), new Uint8Array(8 * 6 * 2));
  const r = spawnSync(tm2Run, [blobFile, path.join(work, 'in.bin'), path.join(work, 'out.bin')], { encoding: 'utf8' });
  assert.equal(r.status, S.CRC);
  assert.match(r.stdout, /rejected, status 7.*CRC32 mismatch/);
  const missing = spawnSync(tm2Run, [path.join(work, 'nope.blob'), 'a', 'b'], { encoding: 'utf8' });
  assert.equal(missing.status, 101);
  assert.match(missing.stdout, /nope\.blob: cannot read/);
});

test('tm2_run --info reports the planner\'s arena size (tm2_arena_bytes), ids and modalities from the blob', () => {
  const graph = randomTwoBranchGraph(5);
  const plan = planMemory(graph);
  const blobFile = path.join(work, 'info.blob');
  writeFileSync(blobFile, writeFirmwareBlob(graph, plan, { modelId: 'clinic-cough', modelVersion: '2.0.1' }));
  const out = execFileSync(tm2Run, ['--info', blobFile], { encoding: 'utf8' });
  assert.match(out, new RegExp(`^arena_bytes=${plan.arenaBytes}$`, 'm'));
  assert.match(out, /^model_id=clinic-cough$/m);
  assert.match(out, /^model_version=2\.0\.1$/m);
  assert.match(out, new RegExp(`^ops=${graph.ops.length}$`, 'm'));
  graph.inputs.forEach((id, k) => assert.match(out, new RegExp(`^input${k} tensor=${id} bytes=192 offset=${plan.offsets.get(id)} modality=${graph.modalities[k]}$`, 'm')));
});

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}
