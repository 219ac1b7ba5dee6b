import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { scanModels } from '../../src-main/models/catalog';
import { fixtureMeta, writeFixturePackage } from '../fixtures/modelPackage';

test('a valid package is listed with its metadata', async () => {
  const pkg = await writeFixturePackage();
  const { models, problems } = await scanModels([{ dir: dirname(pkg), source: 'bundled' }]);
  assert.deepEqual(problems, []);
  assert.equal(models.length, 1);
  assert.equal(models[0]!.meta.id, 'fixture-audio');
  assert.equal(models[0]!.meta.modalities[1]!.features.kind, 'logMel');
});

test('broken packages are reported by file and reason, and do not hide the good ones', async () => {
  const good = await writeFixturePackage();
  const root = dirname(good);
  // Corrupt model file: SHA-256 no longer matches.
  const tampered = await writeFixturePackage({ ...fixtureMeta, id: 'tampered' });
  await writeFile(join(tampered, 'model.int8.onnx'), 'not the model');
  // Metadata with a bad field.
  const badField = join(root, 'bad-field');
  await mkdir(badField);
  await writeFile(join(badField, 'model.json'), JSON.stringify({ ...fixtureMeta, id: 'Bad Id!' }));
  // Not JSON at all.
  const notJson = join(root, 'not-json');
  await mkdir(notJson);
  await writeFile(join(notJson, 'model.json'), '{"formatVersion": 1,');
  // A folder without model.json.
  await mkdir(join(root, 'stray'));
  const other = await mkdtemp(join(tmpdir(), 'tinym2-models-'));
  await mkdir(join(other, 'tampered'));
  await writeFile(join(other, 'tampered', 'model.json'), await readFile(join(tampered, 'model.json')));
  await writeFile(join(other, 'tampered', 'model.int8.onnx'), 'not the model');

  const { models, problems } = await scanModels([
    { dir: root, source: 'bundled' },
    { dir: other, source: 'user' },
    { dir: join(root, 'does-not-exist'), source: 'user' },
  ]);
  assert.deepEqual(models.map((m) => m.meta.id), ['fixture-audio']);
  const byPath = new Map(problems.map((p) => [p.path, p.reason]));
  assert.match(byPath.get(join(badField, 'model.json'))!, /field 'id'/);
  assert.match(byPath.get(join(notJson, 'model.json'))!, /not valid JSON/);
  assert.match(byPath.get(join(root, 'stray'))!, /no model\.json/);
  assert.match(byPath.get(join(other, 'tampered', 'model.int8.onnx'))!, /SHA-256 mismatch/);
});
