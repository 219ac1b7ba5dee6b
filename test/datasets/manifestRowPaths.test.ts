/**
 * Paths in a CSV manifest's rows as people really write them: `find .` gives `./audio/a.wav`, hand edits
 * give `audio//a.wav`, a CSV made on Windows gives `audio\p1\a.wav`. Those name files inside the folder
 * and load; tidying them never lets through what could leave it (`..`, absolute, drive letters, UNC).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importRecordings } from '../../src-main/audio/importReport';
import { recordingRefs } from '../../src-main/datasets/dataset';
import { loadManifest } from '../../src-main/datasets/manifestDataset';
import { manifestRowPath, relativeFileNameSchema, relativeNameProblem } from '../../src-main/storage/relativeName';

const GOOD = join(import.meta.dirname, '..', 'fuzz', 'corpus', 'wav', 'seed-pcm16-mono-16k.wav');

const tmp = mkdtempSync(join(tmpdir(), 'tinym2-manifest-rows-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Written → tidied: each names a file inside the folder. */
const TIDIED: readonly (readonly [string, string])[] = [
  ['./a/b.wav', 'a/b.wav'],
  ['a//b.wav', 'a/b.wav'],
  ['a\\b.wav', 'a/b.wav'],
  ['a/./b.wav', 'a/b.wav'],
  ['.\\a\\\\b.wav', 'a/b.wav'],
  ['a/b.wav/', 'a/b.wav'],
  ['b.wav', 'b.wav'],
];

/** Written → why it is still refused after tidying. */
const REFUSED: readonly (readonly [string, RegExp])[] = [
  ['..\\x.wav', /climbs out of its folder/],
  ['a/../../x.wav', /climbs out of its folder/],
  ['a\\..\\..\\x.wav', /climbs out of its folder/],
  ['./../x.wav', /climbs out of its folder/],
  ['a/../b.wav', /climbs out of its folder/],
  ['/abs.wav', /absolute path/],
  ['//abs.wav', /absolute path/],
  ['\\abs.wav', /absolute path/],
  ['C:\\x.wav', /absolute path|backslash/],
  ['C:/x.wav', /absolute path/],
  ['c:x.wav', /absolute path/],
  ['\\\\server\\share\\x.wav', /backslash/],
  ['\\\\?\\C:\\x.wav', /backslash/],
  ['.', /empty or '\.' segment/],
  ['./', /empty or '\.' segment/],
  ['', /is empty/],
  ['a/\u0000.wav', /control character/],
];

test('manifestRowPath tidies ./, empty segments and Windows separators, and the unchanged rule accepts the result', () => {
  for (const [written, tidied] of TIDIED) {
    assert.equal(manifestRowPath(written), tidied, JSON.stringify(written));
    assert.equal(relativeNameProblem(manifestRowPath(written)), undefined, JSON.stringify(written));
  }
});

test('manifestRowPath never makes a way out acceptable: .., absolute, drive letters and UNC stay refused', () => {
  for (const [written, why] of REFUSED) {
    const problem = relativeNameProblem(manifestRowPath(written));
    assert.ok(problem, `${JSON.stringify(written)} → ${JSON.stringify(manifestRowPath(written))} was accepted`);
    assert.match(problem, why, JSON.stringify(written));
  }
  const long = `${'a/'.repeat(600)}b.wav`;
  assert.match(relativeNameProblem(manifestRowPath(long)) ?? '', /longer than/);
});

test('the package schema keeps the strict rule: ./, empty segments and backslashes are still refused there', () => {
  for (const [written] of TIDIED.filter(([w, t]) => w !== t)) assert.equal(relativeFileNameSchema.safeParse(written).success, false, JSON.stringify(written));
  assert.equal(relativeFileNameSchema.safeParse('model.int8.onnx').success, true);
});

test('audio manifest: ./, a//b and a\\b rows load and import; .., absolute, drive and UNC rows are refused by line', async () => {
  const dir = mkdtempSync(join(tmp, 'audio-'));
  for (const f of ['a.wav', 'b.wav', 'c.wav', 'd.wav']) {
    mkdirSync(join(dir, 'audio', 'p1'), { recursive: true });
    copyFileSync(GOOD, join(dir, 'audio', 'p1', f));
  }
  copyFileSync(GOOD, join(tmp, 'x.wav')); // beside the folder: what the refused rows aim at
  const good = ['./audio/p1/a.wav', 'audio//p1/b.wav', 'audio\\p1\\c.wav', '.\\audio\\p1\\.\\d.wav'];
  const bad = ['..\\x.wav', 'C:\\x.wav', '\\\\server\\x.wav', join(tmp, 'x.wav'), 'audio/../../x.wav', 'audio\\p1\\..\\..\\..\\x.wav'];
  const rows = [...good, ...bad].map((path, i) => `S${i},${i % 2 ? 'well' : 'sick'},cough,"${path}"`);
  const manifest = join(dir, 'manifest.csv');
  writeFileSync(manifest, `subject,label,modality,path\r\n${rows.join('\r\n')}\r\n`);

  const d = loadManifest(manifest);
  assert.deepEqual(
    d.subjects.map((s) => [s.id, s.recordings.cough]),
    ['a', 'b', 'c', 'd'].map((f, i) => [`S${i}`, join(dir, 'audio', 'p1', `${f}.wav`)]),
  );
  const refused = d.problems.filter((p) => /the row is skipped/.test(p.message));
  assert.deepEqual(
    refused.map((p) => p.message.match(/^line (\d+)/)?.[1]),
    bad.map((_, i) => String(good.length + i + 2)),
  );
  // Each refusal quotes the row as written, not as tidied.
  bad.forEach((path, i) => assert.ok(refused[i]!.message.includes(`path '${path}'`), refused[i]!.message));
  assert.match(refused[0]!.message, /climbs out/);
  assert.match(refused[1]!.message, /backslash|absolute path/); // a drive path is left as written, so the rule's first objection shows
  assert.match(refused[2]!.message, /backslash/);
  assert.match(refused[3]!.message, /absolute path/);
  assert.match(refused[4]!.message, /climbs out/);
  assert.match(refused[5]!.message, /climbs out/);

  const report = await importRecordings(recordingRefs(d), { keepSamples: false });
  assert.deepEqual(report.failed, []);
  assert.equal(report.imported.length, good.length);
});
