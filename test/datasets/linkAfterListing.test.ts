/**
 * The loaders refuse a symbolic link when they LIST a data set (manifest rows, Coswara and label folders),
 * but the recordings are read later, by the import or the feature builder. A recording swapped for a link
 * in between (someone else's script, a sync tool, an attacker with write access to the share) must still
 * not be followed: every read of a path a data set named refuses a link at the read itself, naming the
 * file. A path the person picked themselves may still be a link.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importRecordings } from '../../src-main/audio/importReport';
import { audioSamples } from '../../src-main/datasets/audioSamples';
import { recordingRefs, type Dataset } from '../../src-main/datasets/dataset';
import { openDataset } from '../../src-main/datasets/openDataset';
import { importRecordings as storeImport } from '../../src-main/store/importRecordings';
import { openStore } from '../../src-main/store/store';

const CORPUS = join(import.meta.dirname, '..', 'fuzz', 'corpus', 'wav');
const GOOD = join(CORPUS, 'seed-pcm16-mono-16k.wav');
/** A valid recording with other bytes than GOOD, so one that got into the store would be seen. */
const BAIT = join(CORPUS, 'seed-pcm16-stereo-44k.wav');

const tmp = mkdtempSync(join(tmpdir(), 'tinym2-link-after-listing-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Outside every data set below: what the swapped-in link points at. */
const outside = join(tmp, 'outside.wav');
copyFileSync(BAIT, outside);
const outsideHash = createHash('sha256').update(readFileSync(outside)).digest('hex');

const features = { kind: 'logMel', sampleRate: 16000, windowMs: 16, hopMs: 8, fftSize: 256, melBands: 8, fMin: 0, fMax: 8000, frames: 8 } as const;

function put(file: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  copyFileSync(GOOD, file);
  return file;
}

/** Each layout with two participants of different labels; `swapped` is the recording that becomes a link. */
const LAYOUTS: readonly { readonly name: string; readonly labelColumn: string; readonly build: (root: string) => string }[] = [
  {
    name: 'manifest',
    labelColumn: 'label',
    build: (root) => {
      put(join(root, 'audio', 'p1.wav'));
      put(join(root, 'audio', 'p2.wav'));
      writeFileSync(join(root, 'manifest.csv'), 'subject,label,modality,path\nP1,sick,cough,audio/p1.wav\nP2,well,cough,audio/p2.wav\n');
      return join(root, 'audio', 'p2.wav');
    },
  },
  {
    name: 'folders',
    labelColumn: 'label',
    build: (root) => {
      put(join(root, 'sick', 'P1', 'cough.wav'));
      return put(join(root, 'well', 'P2', 'cough.wav'));
    },
  },
  {
    name: 'Coswara',
    labelColumn: 'g',
    build: (root) => {
      put(join(root, 'P1', 'cough-heavy.wav'));
      writeFileSync(join(root, 'P1', 'metadata.json'), '{"g":"female"}');
      put(join(root, 'P2', 'cough-heavy.wav'));
      writeFileSync(join(root, 'P2', 'metadata.json'), '{"g":"male"}');
      return join(root, 'P2', 'cough-heavy.wav');
    },
  },
];

/** Builds the layout, lists it, and only then replaces one recording by a link to the file outside. */
function listedThenSwapped(layout: (typeof LAYOUTS)[number]): { dataset: Dataset; swapped: string } {
  const root = mkdtempSync(join(tmp, `${layout.name}-`));
  const swapped = layout.build(root);
  const dataset = openDataset(root);
  assert.equal(dataset.layout, layout.name === 'Coswara' ? 'coswara' : layout.name);
  assert.ok(
    dataset.subjects.some((s) => Object.values(s.recordings).includes(swapped)),
    'the recording was listed while it was a regular file',
  );
  rmSync(swapped);
  symlinkSync(outside, swapped);
  return { dataset, swapped };
}

for (const layout of LAYOUTS) {
  describe(`${layout.name} layout: a recording swapped for a symbolic link after listing`, () => {
    test('the store import refuses it, naming the file, and stores the other participant only', async () => {
      const { dataset, swapped } = listedThenSwapped(layout);
      const store = openStore({ dataDir: mkdtempSync(join(tmp, 'store-')) });
      try {
        const report = await storeImport(store, recordingRefs(dataset));
        assert.deepEqual(
          report.failed.map((f) => [f.ref.path, f.reason]),
          [[swapped, 'unreadable']],
        );
        assert.match(report.failed[0]!.message, new RegExp(`^${swapped.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*symbolic link`));
        assert.equal(report.stored.length, 1);
        assert.ok(report.stored.every((s) => s.sha256 !== outsideHash), 'the file outside reached the store');
        const rows = store.db.prepare('SELECT sha256 FROM recordings').all() as { sha256: string }[];
        assert.deepEqual(
          rows.map((r) => r.sha256 === outsideHash),
          [false],
        );
      } finally {
        store.close();
      }
    });

    test('the batch import (data-set inspection) refuses it, naming the file', async () => {
      const { dataset, swapped } = listedThenSwapped(layout);
      const report = await importRecordings(recordingRefs(dataset), { keepSamples: false });
      assert.deepEqual(
        report.failed.map((f) => [f.ref.path, f.reason]),
        [[swapped, 'unreadable']],
      );
      assert.ok(report.failed[0]!.message.startsWith(`${swapped}: `));
      assert.match(report.failed[0]!.message, /symbolic link, which is not followed inside a data set/);
      assert.equal(report.imported.length, 1);
    });

    test('the training samples skip it with the reason, naming the file', async () => {
      const { dataset, swapped } = listedThenSwapped(layout);
      const modality = dataset.modalities[0]!;
      const samples = await audioSamples(dataset, { modalities: [{ name: modality, features }], labelColumn: layout.labelColumn });
      assert.deepEqual(
        samples.skipped.map((s) => s.path),
        [swapped],
      );
      assert.ok(samples.skipped[0]!.reason.startsWith(`${swapped}: `));
      assert.match(samples.skipped[0]!.reason, /symbolic link/);
      assert.equal(samples.set.count, 1);
    });
  });
}

test('a recording the person picked may still be a link: the store import of a picked path follows it', async () => {
  const link = join(mkdtempSync(join(tmp, 'picked-')), 'picked.wav');
  symlinkSync(outside, link);
  const store = openStore({ dataDir: mkdtempSync(join(tmp, 'store-')) });
  try {
    const report = await storeImport(store, [{ path: link, subject: 'P1', modality: 'cough' }]);
    assert.deepEqual(report.failed, []);
    assert.deepEqual(
      report.stored.map((s) => s.sha256),
      [outsideHash],
    );
  } finally {
    store.close();
  }
  const batch = await importRecordings([{ path: link }], { keepSamples: false });
  assert.equal(batch.imported.length, 1);
});
