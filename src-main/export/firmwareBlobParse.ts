/**
 * Reads a firmware blob back (firmware/BLOB_FORMAT.md): the round-trip check for writeFirmwareBlob and a
 * way for tools to inspect what a device was sent. Verifies magic, version, sizes, CRC32 and SHA-256 and
 * throws an Error naming the field at fault; op parameters are returned raw, as the device reads them.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BLOB_FORMAT_VERSION, BLOB_HEADER_BYTES, BLOB_MAGIC, BLOB_TENSOR_RECORD_BYTES, OP_CODES } from './firmwareBlob';

export type BlobOpKind = keyof typeof OP_CODES;

export interface BlobTensor {
  readonly dtype: 'int8' | 'int32';
  readonly storage: 'arena' | 'constant';
  readonly shape: number[];
  readonly offset: number;
  readonly bytes: number;
  readonly zeroPoint: number;
  readonly scale: number;
}

export interface BlobOp {
  readonly kind: BlobOpKind;
  readonly inputs: number[];
  readonly output: number;
  readonly params: Int32Array;
}

export interface ParsedFirmwareBlob {
  readonly version: number;
  readonly totalBytes: number;
  readonly arenaBytes: number;
  readonly tensors: BlobTensor[];
  readonly inputs: number[];
  readonly outputs: number[];
  readonly modelId: string;
  readonly modelVersion: string;
  readonly modalities: string[];
  readonly ops: BlobOp[];
  readonly constants: Uint8Array;
}

const SECTION_NAMES = ['tensors', 'io', 'strings', 'ops', 'constants'] as const;

export function parseFirmwareBlob(blob: Uint8Array): ParsedFirmwareBlob {
  const fail = (field: string, why: string): never => {
    throw new Error(`firmware blob: ${field}: ${why}`);
  };
  if (blob.length < BLOB_HEADER_BYTES) fail('header', `blob is ${blob.length} bytes, shorter than the ${BLOB_HEADER_BYTES}-byte header`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const magic = new TextDecoder().decode(blob.subarray(0, 4));
  if (magic !== BLOB_MAGIC) fail('magic', `expected ${BLOB_MAGIC}, got ${JSON.stringify(magic)}`);
  const version = view.getUint16(4, true);
  if (version !== BLOB_FORMAT_VERSION) fail('version', `unsupported format version ${version}`);
  if (view.getUint16(6, true) !== BLOB_HEADER_BYTES) fail('headerBytes', `expected ${BLOB_HEADER_BYTES}`);
  const totalBytes = view.getUint32(8, true);
  if (totalBytes !== blob.length) fail('totalBytes', `header says ${totalBytes}, blob is ${blob.length} bytes`);
  if (crc32(blob.subarray(16)) !== view.getUint32(12, true)) fail('crc32', 'mismatch (blob corrupted)');
  const sha = createHash('sha256').update(blob.subarray(BLOB_HEADER_BYTES)).digest();
  if (!sha.equals(blob.subarray(16, 48))) fail('sha256', 'payload digest mismatch');

  const section = (k: number): Uint8Array => {
    const offset = view.getUint32(60 + 8 * k, true);
    const bytes = view.getUint32(64 + 8 * k, true);
    if (offset < BLOB_HEADER_BYTES || offset + bytes > blob.length) fail(`${SECTION_NAMES[k]} section`, `[${offset}, +${bytes}) out of bounds`);
    return blob.subarray(offset, offset + bytes);
  };
  const sectionView = (s: Uint8Array) => new DataView(s.buffer, s.byteOffset, s.byteLength);
  const tensorCount = view.getUint16(52, true);
  const opCount = view.getUint16(54, true);
  const inputCount = view.getUint16(56, true);
  const outputCount = view.getUint16(58, true);

  const tensorBytes = section(0);
  if (tensorBytes.length !== tensorCount * BLOB_TENSOR_RECORD_BYTES) fail('tensors section', `${tensorBytes.length} bytes for ${tensorCount} tensors`);
  const tv = sectionView(tensorBytes);
  const scaleView = new DataView(new ArrayBuffer(4));
  const tensors: BlobTensor[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const at = i * BLOB_TENSOR_RECORD_BYTES;
    const rank = tv.getUint8(at + 2);
    scaleView.setUint32(0, tv.getUint32(at + 32, true), true);
    tensors.push({
      dtype: tv.getUint8(at) === 0 ? 'int8' : 'int32',
      storage: tv.getUint8(at + 1) === 0 ? 'arena' : 'constant',
      shape: Array.from({ length: rank }, (_, d) => tv.getUint32(at + 4 + 4 * d, true)),
      offset: tv.getUint32(at + 20, true),
      bytes: tv.getUint32(at + 24, true),
      zeroPoint: tv.getInt32(at + 28, true),
      scale: scaleView.getFloat32(0, true),
    });
  }

  const io = sectionView(section(1));
  const ids = Array.from({ length: inputCount + outputCount }, (_, k) => io.getUint16(2 * k, true));

  const strings = section(2);
  const decoded: string[] = [];
  let pos = 0;
  for (let k = 0; k < 2 + inputCount; k++) {
    if (pos + 2 > strings.length) fail('strings section', `string ${k} missing`);
    const len = strings[pos]! | (strings[pos + 1]! << 8);
    if (pos + 2 + len > strings.length) fail('strings section', `string ${k} runs past the section`);
    decoded.push(new TextDecoder().decode(strings.subarray(pos + 2, pos + 2 + len)));
    pos += 2 + len;
  }

  const opsBytes = section(3);
  const ov = sectionView(opsBytes);
  const kinds = new Map<number, BlobOpKind>(Object.entries(OP_CODES).map(([k, v]) => [v, k as BlobOpKind]));
  const ops: BlobOp[] = [];
  let at = 0;
  for (let i = 0; i < opCount; i++) {
    if (at + 8 > opsBytes.length) fail(`op ${i}`, 'record runs past the op section');
    const code = ov.getUint8(at);
    const kind = kinds.get(code) ?? fail(`op ${i}`, `unknown op kind ${code}`);
    const inputs = ov.getUint8(at + 1);
    const recordBytes = ov.getUint32(at + 4, true);
    const head = (8 + 2 * inputs + 3) & ~3;
    if (recordBytes < head || recordBytes % 4 !== 0 || at + recordBytes > opsBytes.length) fail(`op ${i}`, `bad record length ${recordBytes}`);
    const params = new Int32Array((recordBytes - head) / 4);
    for (let p = 0; p < params.length; p++) params[p] = ov.getInt32(at + head + 4 * p, true);
    ops.push({ kind, inputs: Array.from({ length: inputs }, (_, k) => ov.getUint16(at + 8 + 2 * k, true)), output: ov.getUint16(at + 2, true), params });
    at += recordBytes;
  }
  if (at !== opsBytes.length) fail('ops section', `${opsBytes.length - at} bytes left after ${opCount} ops`);

  return {
    version,
    totalBytes,
    arenaBytes: view.getUint32(48, true),
    tensors,
    inputs: ids.slice(0, inputCount),
    outputs: ids.slice(inputCount),
    modelId: decoded[0]!,
    modelVersion: decoded[1]!,
    modalities: decoded.slice(2),
    ops,
    constants: section(4),
  };
}
