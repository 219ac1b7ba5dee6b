import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPackage } from '../../src-main/models/catalog';
import { sha256Hex, writeModelPackage } from '../../src-main/models/writePackage';
import { fixtureMeta } from '../fixtures/modelPackage';

const { sha256: _drop, ...meta } = fixtureMeta;
const files = (text: string) => ({ [meta.files.int8Onnx]: new TextEncoder().encode(text) });
const metaOnlyOnnx = { ...meta, files: { int8Onnx: meta.files.int8Onnx } };

test('a package is written whole, with SHA-256 of every file, and a rewrite replaces it whole', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tm2-pkg-'));
  try {
    const dir = join(root, 'fixture');
    const first = writeModelPackage(dir, metaOnlyOnnx, files('v1'));
    assert.equal(first.sha256![meta.files.int8Onnx], sha256Hex(new TextEncoder().encode('v1')));
    const loaded = await loadPackage(dir);
    assert.ok(!('reason' in loaded));
    writeModelPackage(dir, { ...metaOnlyOnnx, version: '0.0.2' }, files('v2'));
    assert.equal(readFileSync(join(dir, meta.files.int8Onnx), 'utf8'), 'v2');
    assert.equal((JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { version: string }).version, '0.0.2');
    assert.deepEqual(readdirSync(root), ['fixture'], 'no staging or old folders are left behind');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a package that names a file it does not contain, or a path for a name, is refused and nothing is written', () => {
  const root = mkdtempSync(join(tmpdir(), 'tm2-pkg-'));
  try {
    assert.throws(() => writeModelPackage(join(root, 'a'), { ...metaOnlyOnnx, files: { int8Onnx: 'other.onnx' } }, files('x')), /files\.int8Onnx names 'other\.onnx'/);
    assert.throws(() => writeModelPackage(join(root, 'b'), metaOnlyOnnx, { ...files('x'), '../escape': new Uint8Array(1) }), /'\.\.\/escape' is not a plain file name/);
    assert.throws(() => writeModelPackage(join(root, 'c'), { ...metaOnlyOnnx, id: 'Bad Id' }, files('x')), /lower-case/);
    assert.deepEqual(readdirSync(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
