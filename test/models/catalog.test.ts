import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadPackage, scanModels } from '../../src-main/models/catalog';
import { modelPackageMetaSchema } from '../../src-main/models/packageMeta';
import { sha256Hex } from '../../src-main/models/writePackage';
import { INPUT_LIMITS } from '../../src-main/storage/inputFile';
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

// Security issue #21: names in model.json come from whoever wrote the package; none may lead outside it.

/** A package folder `id` under `root` whose model.json names `files`; `setup` puts (or links) the files in place. */
function hostilePackage(root: string, id: string, files: Record<string, string>, setup: (dir: string) => void, extra: Record<string, unknown> = {}): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  setup(dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...fixtureMeta, id, files, ...extra }));
  return dir;
}

function plainModel(dir: string): void {
  writeFileSync(join(dir, 'model.int8.onnx'), 'onnx bytes');
}

test('the schema refuses files.* values and sha256 keys that are not plain names inside the package, naming the field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ files: { int8Onnx: 'model.int8.onnx', architecture: '../../../PWNED.sh' } }, /^must be a file name inside the package folder: '\.\.\/\.\.\/\.\.\/PWNED\.sh' climbs out/],
    [{ files: { int8Onnx: '/etc/passwd' } }, /is an absolute path/],
    [{ files: { int8Onnx: 'model.int8.onnx', firmwareBlob: '..\\..\\evil.tm2b' } }, /contains a backslash/],
    [{ files: { int8Onnx: 'C:/Windows/evil.onnx' } }, /is an absolute path/],
    [{ files: { int8Onnx: 'sub/../../x' } }, /climbs out/],
    [{ files: { int8Onnx: '' } }, /is empty/],
  ];
  for (const [patch, message] of cases) {
    const r = modelPackageMetaSchema.safeParse({ ...fixtureMeta, ...patch });
    assert.equal(r.success, false, JSON.stringify(patch));
    const issue = r.error!.issues[0]!;
    assert.equal(issue.path[0], 'files');
    assert.match(issue.message, message);
  }
  const key = modelPackageMetaSchema.safeParse({ ...fixtureMeta, sha256: { '../model.int8.onnx': 'a'.repeat(64) } });
  assert.equal(key.success, false);
  assert.deepEqual(key.error!.issues[0]!.path, ['sha256']);
  assert.match(key.error!.issues[0]!.message, /key '\.\.\/model\.int8\.onnx' must be a file name inside the package folder: it climbs out/);
  // Names in subfolders stay allowed: they cannot leave the package.
  assert.equal(modelPackageMetaSchema.safeParse({ ...fixtureMeta, files: { int8Onnx: 'onnx/model.int8.onnx' }, sha256: { 'onnx/model.int8.onnx': 'a'.repeat(64) } }).success, true);
});

test('loadPackage refuses named files that escape through links, are links, devices, FIFOs or over the size cap', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tinym2-hostile-'));
  const expectProblem = async (dir: string, path: string, reason: RegExp) => {
    const r = await loadPackage(dir);
    assert.ok('reason' in r, `${dir} was accepted`);
    assert.equal(r.path, path);
    assert.match(r.reason, reason);
  };

  // The reported attack: a name climbing out of the package, with the file really there.
  const deep = join(root, 'a', 'b', 'c');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(root, 'a', 'PWNED.sh'), '#!/bin/sh\necho pwned\n');
  const climb = hostilePackage(deep, 'climb', { int8Onnx: 'model.int8.onnx', architecture: '../../../PWNED.sh' }, plainModel);
  await expectProblem(climb, join(climb, 'model.json'), /^field 'files\.architecture': must be a file name inside the package folder: '\.\.\/\.\.\/\.\.\/PWNED\.sh' climbs out/);

  const toPasswd = hostilePackage(root, 'to-passwd', { int8Onnx: 'model.int8.onnx' }, (d) => symlinkSync('/etc/passwd', join(d, 'model.int8.onnx')));
  await expectProblem(toPasswd, join(toPasswd, 'model.int8.onnx'), /^files\.int8Onnx leads outside .* through a symbolic link/);

  // A link that stays inside the package is still a link: refused at open (O_NOFOLLOW), so a swap after the check cannot redirect the read.
  const innerLink = hostilePackage(root, 'inner-link', { int8Onnx: 'model.int8.onnx', floatOnnx: 'float.onnx' }, (d) => {
    plainModel(d);
    symlinkSync('model.int8.onnx', join(d, 'float.onnx'));
  });
  await expectProblem(innerLink, join(innerLink, 'float.onnx'), /^files\.floatOnnx: the model file is a symbolic link/);

  const linkedFolder = hostilePackage(root, 'linked-folder', { int8Onnx: 'model.int8.onnx', int8Graph: 'etc/passwd' }, (d) => {
    plainModel(d);
    symlinkSync('/etc', join(d, 'etc'));
  });
  await expectProblem(linkedFolder, join(linkedFolder, 'etc', 'passwd'), /^files\.int8Graph leads outside .* through a symbolic link/);

  const zero = hostilePackage(root, 'dev-zero', { int8Onnx: 'model.int8.onnx', firmwareBlob: 'model.tm2b' }, (d) => {
    plainModel(d);
    symlinkSync('/dev/zero', join(d, 'model.tm2b'));
  });
  await expectProblem(zero, join(zero, 'model.tm2b'), /^files\.firmwareBlob leads outside/);

  const fifo = hostilePackage(root, 'fifo', { int8Onnx: 'model.int8.onnx', firmwareBlob: 'model.tm2b' }, (d) => {
    plainModel(d);
    execFileSync('mkfifo', [join(d, 'model.tm2b')]);
  });
  await expectProblem(fifo, join(fifo, 'model.tm2b'), /^files\.firmwareBlob: not a regular file/);

  // Sparse: one byte over the cap costs no disk, and the cap is checked before any byte is read.
  const huge = hostilePackage(root, 'huge', { int8Onnx: 'model.int8.onnx' }, (d) => truncateSync(createEmpty(join(d, 'model.int8.onnx')), INPUT_LIMITS.modelFileBytes + 1));
  await expectProblem(huge, join(huge, 'model.int8.onnx'), /^files\.int8Onnx: the model file is .*, more than the (128 MB|134217728 bytes) this app reads/);

  const hugeMeta = join(root, 'huge-meta');
  mkdirSync(hugeMeta);
  plainModel(hugeMeta);
  truncateSync(createEmpty(join(hugeMeta, 'model.json')), INPUT_LIMITS.manifestBytes + 1);
  await expectProblem(hugeMeta, join(hugeMeta, 'model.json'), /^model\.json: the model\.json is (4\.0 MB|4194305 bytes), more than/);

  const metaLink = join(root, 'meta-link');
  mkdirSync(metaLink);
  symlinkSync(join(toPasswd, 'model.json'), join(metaLink, 'model.json'));
  await expectProblem(metaLink, join(metaLink, 'model.json'), /^model\.json: the model\.json is a symbolic link/);

  const missing = hostilePackage(root, 'missing', { int8Onnx: 'model.int8.onnx', architecture: 'architecture.json' }, plainModel);
  await expectProblem(missing, join(missing, 'architecture.json'), /^missing file named by files\.architecture$/);

  // Nothing was written by looking: the file the attack aimed at is unchanged and no new one appeared beside it.
  assert.equal(readFileSync(join(root, 'a', 'PWNED.sh'), 'utf8'), '#!/bin/sh\necho pwned\n');
  assert.deepEqual(readdirSync(join(root, 'a')).sort(), ['PWNED.sh', 'b']);
});

function createEmpty(path: string): string {
  writeFileSync(path, '');
  return path;
}

test('a package folder that is a symbolic link is refused in the user folder, followed in the bundled one', async () => {
  const real = await writeFixturePackage();
  const user = mkdtempSync(join(tmpdir(), 'tinym2-user-models-'));
  const bundled = mkdtempSync(join(tmpdir(), 'tinym2-bundled-models-'));
  symlinkSync(real, join(user, 'linked'));
  symlinkSync(real, join(bundled, 'linked'));
  // A dangling link is a stray entry, not a package.
  symlinkSync(join(user, 'nowhere'), join(user, 'dangling'));

  const fromUser = await scanModels([{ dir: user, source: 'user' }]);
  assert.deepEqual(fromUser.models, []);
  assert.deepEqual(fromUser.problems.map((p) => p.path), [join(user, 'linked')]);
  assert.match(fromUser.problems[0]!.reason, /is a symbolic link, which the user models folder does not follow: remove the link and import the package/);

  const fromBundled = await scanModels([{ dir: bundled, source: 'bundled' }]);
  assert.deepEqual(fromBundled.problems, []);
  assert.deepEqual(fromBundled.models.map((m) => [m.meta.id, m.dir]), [['fixture-audio', join(bundled, 'linked')]]);
});

test('a package whose files sit in a subfolder loads and its SHA-256 is checked', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tinym2-subfolder-'));
  const bytes = Buffer.from('onnx in a subfolder');
  const dir = hostilePackage(root, 'nested', { int8Onnx: 'onnx/model.int8.onnx' }, (d) => {
    mkdirSync(join(d, 'onnx'));
    writeFileSync(join(d, 'onnx', 'model.int8.onnx'), bytes);
  }, { sha256: { 'onnx/model.int8.onnx': sha256Hex(bytes) } });
  const ok = await loadPackage(dir);
  assert.ok(!('reason' in ok), JSON.stringify(ok));
  writeFileSync(join(dir, 'onnx', 'model.int8.onnx'), 'changed');
  const bad = await loadPackage(dir);
  assert.ok('reason' in bad);
  assert.match(bad.reason, /SHA-256 mismatch/);
});

test('a modality input must be what its features produce and bounded: no multi-GB buffers from a crafted shape', () => {
  const audio = fixtureMeta.modalities.find((m) => m.features.kind === 'logMel');
  assert.ok(audio, 'the fixture has an audio modality');
  const withShape = (inputShape: number[], features = audio.features) =>
    modelPackageMetaSchema.safeParse({ ...fixtureMeta, modalities: fixtureMeta.modalities.map((m) => (m === audio ? { ...m, inputShape, features } : m)) });
  assert.equal(withShape(audio.inputShape).success, true);
  const huge = withShape([65536, 16384]);
  assert.equal(huge.success, false);
  assert.match(huge.error!.issues[0]!.message, /65536 × 16384 is 1073741824 values, more than the 4194304/);
  assert.deepEqual(huge.error!.issues[0]!.path, ['modalities', fixtureMeta.modalities.indexOf(audio), 'inputShape']);
  const mismatch = withShape([audio.inputShape[0]! * 2, ...audio.inputShape.slice(1)]);
  assert.equal(mismatch.success, false);
  assert.match(mismatch.error!.issues[0]!.message, /does not match the features \(\d+ frames × \d+ mel bands\)/);
  assert.equal(withShape(audio.inputShape, { ...audio.features, frames: 10_001 } as typeof audio.features).success, false, 'frames are bounded');
  assert.equal(withShape(audio.inputShape, { ...audio.features, sampleRate: 1 } as typeof audio.features).success, false, 'the sample rate is a WAV reader rate');
});
