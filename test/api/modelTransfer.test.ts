import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadPackage } from '../../src-main/models/catalog';
import { fixtureMeta, writeFixturePackage } from '../fixtures/modelPackage';
import { AUDIO_FIXTURE_ID, audioFixturePackage } from '../screening/audioPackageFixture';
import { screeningApi, type ScreeningApi } from '../screening/screeningApi';

describe('models.details, models.import and models.export', () => {
  let api: ScreeningApi;
  let audioPkg: string;
  before(async () => {
    api = await screeningApi([await writeFixturePackage()]);
    audioPkg = await audioFixturePackage();
  });

  test('details give the layer table, memory per target, Pareto points, accuracy with method and file sizes', async () => {
    const d = await api.call('models.details', { id: fixtureMeta.id });
    assert.equal(d.model.id, fixtureMeta.id);
    assert.equal(d.model.source, 'bundled');
    assert.deepEqual(d.model.layers, fixtureMeta.layers);
    assert.deepEqual(d.model.memory.fits, fixtureMeta.memory.fits);
    assert.equal(d.model.accuracy[0]!.method, 'participant-grouped 5-fold CV');
    assert.equal(d.totalBytes, 5800 + 20480);
    assert.deepEqual(d.files.map((f) => [f.role, f.name]), [['int8Onnx', 'model.int8.onnx']]);
    const cluster = d.memory.find((m) => m.target === 'gap8' && m.level === 'l1-cluster')!;
    assert.deepEqual([cluster.capacityBytes, cluster.requiredBytes, cluster.fits], [65536, 5800 + 20480, true]);
    const fc = d.memory.find((m) => m.target === 'gap8' && m.level === 'l1-fc')!;
    assert.deepEqual([fc.requiredBytes > fc.capacityBytes, fc.fits], [true, false]);
    assert.equal(d.files[0]!.bytes, readFileSync(join(d.dir, 'model.int8.onnx')).length);
    const e = await api.fail('models.details', { id: 'nope' });
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /field 'id': no model with id 'nope'/);
  });

  test('import checks, copies into the user folder, refuses duplicates unless asked to replace', async () => {
    const r = await api.call('models.import', { path: audioPkg });
    assert.equal(r.replaced, false);
    assert.equal(r.dir, join(api.dataDir, 'models', AUDIO_FIXTURE_ID));
    assert.ok(!('reason' in (await loadPackage(r.dir))));
    const list = await api.call('models.list', {});
    assert.deepEqual(list.models.map((m) => [m.id, m.source]), [[fixtureMeta.id, 'bundled'], [AUDIO_FIXTURE_ID, 'user']]);
    assert.equal(list.models[1]!.pareto.filter((p) => p.chosen).length, 1);
    // Only the package's own files travel; no staging folders are left behind.
    assert.deepEqual(readdirSync(join(api.dataDir, 'models')), [AUDIO_FIXTURE_ID]);
    let e = await api.fail('models.import', { path: audioPkg });
    assert.match(e.message, /already installed \(version 0\.1\.0\): import again with replace/);
    assert.equal((await api.call('models.import', { path: audioPkg, replace: true })).replaced, true);
    e = await api.fail('models.import', { path: await writeFixturePackage() });
    assert.match(e.message, /a bundled model already has id 'fixture-audio'/);
  });

  test('import refuses what is not a sound package, naming the path and the fault', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tinym2-import-'));
    let e = await api.fail('models.import', { path: 'models/x' });
    assert.equal(e.field, 'path');
    e = await api.fail('models.import', { path: join(tmp, 'missing') });
    assert.match(e.message, /field 'path': .*missing does not exist/);
    e = await api.fail('models.import', { path: tmp });
    assert.match(e.message, /has no model\.json, so it is not a model package/);
    const corrupt = join(tmp, 'corrupt');
    cpSync(audioPkg, corrupt, { recursive: true });
    const onnx = readFileSync(join(corrupt, 'model.int8.onnx'));
    onnx[onnx.length - 1] ^= 0xff;
    writeFileSync(join(corrupt, 'model.int8.onnx'), onnx);
    e = await api.fail('models.import', { path: corrupt });
    assert.match(e.message, /model\.int8\.onnx: SHA-256 mismatch/);
  });

  test('export copies an installed package to the chosen folder and never overwrites', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'tinym2-export-'));
    const r = await api.call('models.export', { id: fixtureMeta.id, destination: dest });
    assert.equal(r.dir, join(dest, fixtureMeta.id));
    assert.deepEqual(readdirSync(r.dir).sort(), ['model.int8.onnx', 'model.json']);
    assert.ok(!('reason' in (await loadPackage(r.dir))));
    const e = await api.fail('models.export', { id: fixtureMeta.id, destination: dest });
    assert.match(e.message, /already exists: choose another folder/);
    assert.ok(existsSync(join(r.dir, 'model.json')));
  });
});
