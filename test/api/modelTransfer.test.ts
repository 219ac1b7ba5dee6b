import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ServiceError } from '../../src-main/api/dispatch';
import { copyPackage } from '../../src-main/api/modelTransfer';
import { loadPackage } from '../../src-main/models/catalog';
import type { ModelPackageMeta } from '../../src-main/models/packageMeta';
import { sha256Hex } from '../../src-main/models/writePackage';
import { INPUT_LIMITS } from '../../src-main/storage/inputFile';
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

// Security issue #21: a package's model.json names its files; none of those names may make the import
// read from or write to anywhere outside the package and the user models folder.
describe('models.import refuses packages whose file names lead outside the package', () => {
  let api: ScreeningApi;
  let modelsDir: string;
  before(async () => {
    api = await screeningApi([await writeFixturePackage()]);
    modelsDir = join(api.dataDir, 'models');
  });

  /** A package `evil` under `parent` whose model.json names `files`; `setup` puts (or links) the files in place. */
  function hostile(parent: string, files: Record<string, string>, setup: (dir: string) => void): string {
    const dir = join(parent, 'evil');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.int8.onnx'), 'onnx bytes');
    setup(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...fixtureMeta, id: 'evil', files }));
    return dir;
  }

  function modelsFolder(): string[] | 'absent' {
    return existsSync(modelsDir) ? readdirSync(modelsDir).sort() : 'absent';
  }

  test("the reported attack: files.architecture '../../../<name>' is refused, naming the field, and nothing is written", async () => {
    // Unique per run, so a file left by an old, vulnerable build cannot make this pass or fail.
    const payload = `PWNED-${process.pid}-${Date.now()}.sh`;
    const root = mkdtempSync(join(tmpdir(), 'tinym2-attack-'));
    const deep = join(root, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    // The named file really exists where the name points from the package, as an attacker would ship it.
    writeFileSync(join(root, 'a', payload), '#!/bin/sh\necho pwned\n');
    const pkg = hostile(deep, { int8Onnx: 'model.int8.onnx', architecture: `../../../${payload}` }, () => undefined);
    const before = modelsFolder();

    const e = await api.fail('models.import', { path: pkg });
    assert.equal(e.code, 'failed');
    assert.equal(
      e.message,
      `${join(pkg, 'model.json')}: field 'files.architecture': must be a file name inside the package folder: '../../../${payload}' climbs out of its folder with '..'`,
    );
    // Where the unchecked copy wrote it: three folders up from the staging folder inside models/.
    const wouldBe = join(modelsDir, '.evil.staging', '..', '..', '..', payload);
    assert.equal(wouldBe, join(dirname(api.dataDir), payload));
    assert.equal(existsSync(wouldBe), false);
    assert.deepEqual(modelsFolder(), before);
    assert.equal(existsSync(join(modelsDir, 'evil')), false);
  });

  test('absolute, backslash, linked, device, FIFO and oversize names are refused with the field or file named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tinym2-attack-'));
    const cases: { name: string; files: Record<string, string>; setup?: (dir: string) => void; message: (pkg: string) => RegExp }[] = [
      { name: 'absolute', files: { int8Onnx: join(root, 'payload.onnx') }, message: (p) => new RegExp(`^${esc(join(p, 'model.json'))}: field 'files\\.int8Onnx': .* is an absolute path`) },
      { name: 'backslash', files: { int8Onnx: 'model.int8.onnx', firmwareBlob: '..\\..\\..\\evil.tm2b' }, message: (p) => new RegExp(`^${esc(join(p, 'model.json'))}: field 'files\\.firmwareBlob': .* contains a backslash`) },
      {
        name: 'link-to-passwd',
        files: { int8Onnx: 'model.int8.onnx', floatOnnx: 'model.float.onnx' },
        setup: (d) => symlinkSync('/etc/passwd', join(d, 'model.float.onnx')),
        message: (p) => new RegExp(`^${esc(join(p, 'model.float.onnx'))}: files\\.floatOnnx leads outside .* through a symbolic link`),
      },
      {
        name: 'linked-subfolder',
        files: { int8Onnx: 'model.int8.onnx', int8Graph: 'etc/passwd' },
        setup: (d) => symlinkSync('/etc', join(d, 'etc')),
        message: (p) => new RegExp(`^${esc(join(p, 'etc', 'passwd'))}: files\\.int8Graph leads outside .* through a symbolic link`),
      },
      {
        name: 'dev-zero',
        files: { int8Onnx: 'model.int8.onnx', firmwareBlob: 'model.tm2b' },
        setup: (d) => symlinkSync('/dev/zero', join(d, 'model.tm2b')),
        message: (p) => new RegExp(`^${esc(join(p, 'model.tm2b'))}: files\\.firmwareBlob leads outside`),
      },
      {
        name: 'fifo',
        files: { int8Onnx: 'model.int8.onnx', firmwareBlob: 'model.tm2b' },
        setup: (d) => execFileSync('mkfifo', [join(d, 'model.tm2b')]),
        message: (p) => new RegExp(`^${esc(join(p, 'model.tm2b'))}: files\\.firmwareBlob: not a regular file`),
      },
      {
        // Sparse: one byte over the cap costs no disk, and the size is checked before anything is read.
        name: 'oversize',
        files: { int8Onnx: 'model.int8.onnx', floatOnnx: 'model.float.onnx' },
        setup: (d) => {
          writeFileSync(join(d, 'model.float.onnx'), '');
          truncateSync(join(d, 'model.float.onnx'), INPUT_LIMITS.modelFileBytes + 1);
        },
        message: (p) => new RegExp(`^${esc(join(p, 'model.float.onnx'))}: files\\.floatOnnx: the model file is .*, more than the (128 MB|134217728 bytes) this app reads`),
      },
    ];
    writeFileSync(join(root, 'payload.onnx'), 'payload');
    for (const c of cases) {
      const pkg = hostile(join(root, c.name), c.files, c.setup ?? (() => undefined));
      const before = modelsFolder();
      const e = await api.fail('models.import', { path: pkg });
      assert.match(e.message, c.message(pkg), c.name);
      assert.deepEqual(modelsFolder(), before, `${c.name} left something in the models folder`);
    }
    assert.equal(existsSync(join(modelsDir, 'evil')), false);
  });

  test('a valid package (with a file in a subfolder) still imports, scans and exports', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tinym2-nested-'));
    const src = await writeFixturePackage({ ...fixtureMeta, id: 'nested-ok' });
    const pkg = join(root, 'nested-ok');
    mkdirSync(join(pkg, 'onnx'), { recursive: true });
    const onnx = readFileSync(join(src, 'model.int8.onnx'));
    writeFileSync(join(pkg, 'onnx', 'model.int8.onnx'), onnx);
    const meta = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as typeof fixtureMeta;
    writeFileSync(join(pkg, 'model.json'), JSON.stringify({ ...meta, files: { int8Onnx: 'onnx/model.int8.onnx' }, sha256: { 'onnx/model.int8.onnx': sha256Hex(onnx) } }));

    const r = await api.call('models.import', { path: pkg });
    assert.equal(r.dir, join(modelsDir, 'nested-ok'));
    assert.deepEqual(readFileSync(join(r.dir, 'onnx', 'model.int8.onnx')), onnx);
    const listed = await api.call('models.list', {});
    assert.deepEqual(listed.problems, []);
    assert.ok(listed.models.some((m) => m.id === 'nested-ok' && m.source === 'user'));
    const details = await api.call('models.details', { id: 'nested-ok' });
    assert.deepEqual(details.files, [{ role: 'int8Onnx', name: 'onnx/model.int8.onnx', bytes: onnx.length }]);

    const dest = mkdtempSync(join(tmpdir(), 'tinym2-export-'));
    const out = await api.call('models.export', { id: 'nested-ok', destination: dest });
    assert.deepEqual(out.files, [join(dest, 'nested-ok', 'model.json'), join(dest, 'nested-ok', 'onnx', 'model.int8.onnx')]);
    assert.ok(!('reason' in (await loadPackage(out.dir))));
  });
});

describe('copyPackage checks the names itself (the second line behind loadPackage)', () => {
  function unchecked(files: Record<string, string>): ModelPackageMeta {
    // Built without the schema on purpose: this is what copyPackage would see if a check were skipped.
    return { ...fixtureMeta, id: 'evil', files } as ModelPackageMeta;
  }

  test('a climbing name is refused before the staging folder or the target exist', () => {
    const root = mkdtempSync(join(tmpdir(), 'tinym2-copy-'));
    const from = join(root, 'a', 'b', 'c', 'from');
    mkdirSync(from, { recursive: true });
    writeFileSync(join(from, 'model.json'), '{}');
    writeFileSync(join(root, 'a', 'b', 'PWNED.sh'), 'x');
    const parent = join(root, 'models');
    assert.throws(
      () => copyPackage(from, unchecked({ int8Onnx: '../../PWNED.sh' }), join(parent, 'evil'), true),
      (e: Error) => e instanceof ServiceError && /files\.int8Onnx climbs out of its folder with '\.\.'/.test(e.message),
    );
    assert.equal(existsSync(parent), false, 'not even the models folder was created');
    assert.equal(existsSync(join(root, 'PWNED.sh')), false);
  });

  test('a file swapped for a link after the check is refused at open, and the staging folder is removed', () => {
    const root = mkdtempSync(join(tmpdir(), 'tinym2-copy-'));
    const from = join(root, 'from');
    mkdirSync(from);
    writeFileSync(join(from, 'model.json'), '{}');
    writeFileSync(join(from, 'real.onnx'), 'onnx');
    symlinkSync('real.onnx', join(from, 'model.int8.onnx'));
    const parent = join(root, 'models');
    assert.throws(
      () => copyPackage(from, unchecked({ int8Onnx: 'model.int8.onnx' }), join(parent, 'evil'), true),
      (e: Error) => e instanceof ServiceError && e.message === `${join(from, 'model.int8.onnx')}: files.int8Onnx: the model file is a symbolic link; copy the file itself`,
    );
    assert.deepEqual(readdirSync(parent), []);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
