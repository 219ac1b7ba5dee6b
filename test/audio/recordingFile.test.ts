/**
 * Files that are not recordings but are named like one: `/dev/zero` (it once grew the process past
 * 7.5 GB), a FIFO with no writer (it would block for ever), and a file over the size cap (sparse, so it
 * costs no disk). Every reader of recordings must refuse each at once with its own error, naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioImportError, type AudioImportReason } from '../../src-main/audio/audioImportError';
import { importRecordings } from '../../src-main/audio/importReport';
import { importWav } from '../../src-main/audio/wavImport';
import { audioSamples } from '../../src-main/datasets/audioSamples';
import type { Dataset } from '../../src-main/datasets/dataset';
import { INPUT_LIMITS } from '../../src-main/storage/inputFile';
import { importRecordings as storeImport } from '../../src-main/store/importRecordings';
import { openStore } from '../../src-main/store/store';
import { COSWARA_DIR, coswaraSkip } from './coswaraFixture';

const dir = mkdtempSync(join(tmpdir(), 'tinym2-hostile-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const fifo = join(dir, 'pipe.wav');
execFileSync('mkfifo', [fifo]);
const sparse = join(dir, 'huge.wav');
closeSync(openSync(sparse, 'w'));
truncateSync(sparse, 2 * INPUT_LIMITS.audioBytes);

const HOSTILE: readonly { readonly path: string; readonly reason: AudioImportReason; readonly mentions: RegExp }[] = [
  { path: '/dev/zero', reason: 'unreadable', mentions: /not a regular file/ },
  { path: fifo, reason: 'unreadable', mentions: /not a regular file/ },
  { path: sparse, reason: 'tooLarge', mentions: /more than the 256 MB this app reads/ },
];

const GOOD = join(COSWARA_DIR, '2TkAK2YVkYS7Ux3hAPBUgYgg9DI3', 'counting-normal.wav');

test('importWav refuses /dev/zero, a FIFO and an oversize file at once, naming each', { timeout: 10_000 }, async () => {
  for (const h of HOSTILE) {
    const t = performance.now();
    const e = await importWav(h.path).then(
      () => assert.fail(`${h.path} was imported`),
      (err: unknown) => err,
    );
    assert.ok(e instanceof AudioImportError, `${h.path}: ${String(e)}`);
    assert.equal(e.reason, h.reason);
    assert.equal(e.file, h.path);
    assert.ok(e.message.startsWith(`${h.path}: `));
    assert.match(e.message, h.mentions);
    // The message says each was refused from fstat, before any read (/dev/zero once grew the process past
    // 7.5 GB; a FIFO blocks for ever). The clock only backs that up, with slack for a loaded CI machine.
    assert.ok(performance.now() - t < 3000, `${h.path} took ${(performance.now() - t).toFixed(0)} ms`);
  }
});

test('a recording the person picked through a symbolic link is still read', { skip: coswaraSkip }, async () => {
  const link = join(dir, 'picked.wav');
  symlinkSync(GOOD, link);
  const viaLink = await importWav(link);
  const direct = await importWav(GOOD);
  assert.deepEqual(viaLink.samples, direct.samples);
});

test('batch import reports each hostile file by reason and imports the good one', { skip: coswaraSkip, timeout: 10_000 }, async () => {
  const refs = [...HOSTILE.map((h, i) => ({ path: h.path, subject: `S${i}`, modality: 'speech' })), { path: GOOD, subject: 'S9', modality: 'speech' }];
  const report = await importRecordings(refs, { keepSamples: false });
  assert.equal(report.imported.length, 1);
  assert.deepEqual(report.failuresByReason, { unreadable: 2, tooLarge: 1 });
});

test('the store import refuses them too, stores nothing for them and stores the good file', { skip: coswaraSkip, timeout: 10_000 }, async () => {
  const dataDir = mkdtempSync(join(dir, 'store-'));
  const store = openStore({ dataDir });
  try {
    const refs = [...HOSTILE.map((h, i) => ({ path: h.path, subject: `S${i}`, modality: 'speech' })), { path: GOOD, subject: 'S9', modality: 'speech' }];
    const report = await storeImport(store, refs);
    assert.equal(report.stored.length, 1);
    assert.deepEqual(
      report.failed.map((f) => [f.ref.path, f.reason]),
      HOSTILE.map((h) => [h.path, h.reason]),
    );
    assert.ok(report.failed.every((f) => f.message.startsWith(`${f.ref.path}: `)));
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM recordings').get() as { n: number }).n, 1);
  } finally {
    store.close();
  }
});

test('training samples skip them with the reason, keeping the participants whose files are real', { skip: coswaraSkip, timeout: 20_000 }, async () => {
  const good = join(dir, 'good.wav');
  copyFileSync(GOOD, good);
  const features = { kind: 'logMel', sampleRate: 16000, windowMs: 40, hopMs: 20, fftSize: 1024, melBands: 16, fMin: 0, fMax: 8000, trimDb: 40, logFloor: 1e-6, frames: 16 } as const;
  const subjects = [
    ...HOSTILE.map((h, i) => ({ id: `bad${i}`, labels: { g: i % 2 ? 'male' : 'female' }, recordings: { speech: h.path } })),
    { id: 'ok1', labels: { g: 'female' }, recordings: { speech: good } },
    { id: 'ok2', labels: { g: 'male' }, recordings: { speech: good } },
  ];
  const dataset: Dataset = { root: dir, layout: 'manifest', subjects, modalities: ['speech'], labelColumns: ['g'], problems: [] };
  const samples = await audioSamples(dataset, { modalities: [{ name: 'speech', features }], labelColumn: 'g' });
  assert.deepEqual(samples.unusable, ['bad0', 'bad1', 'bad2']);
  assert.equal(samples.set.count, 2);
  assert.deepEqual(
    samples.skipped.map((s) => s.path),
    HOSTILE.map((h) => h.path),
  );
  assert.match(samples.skipped[0]!.reason, /\/dev\/zero: .*not a regular file/);
});
