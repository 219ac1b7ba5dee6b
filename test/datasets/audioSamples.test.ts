import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { audioSamples, silenceValue } from '../../src-main/datasets/audioSamples';
import { openDataset } from '../../src-main/datasets/openDataset';
import type { Dataset } from '../../src-main/datasets/dataset';
import { FeatureCache } from '../../src-main/train/featureCache';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';

const common = { kind: 'logMel', sampleRate: 16000, windowMs: 40, hopMs: 20, fftSize: 1024, melBands: 16, fMin: 0, fMax: 8000, trimDb: 40, logFloor: 1e-6 } as const;
const modalities = [
  { name: 'cough', features: { ...common, frames: 32 } },
  { name: 'speech', features: { ...common, frames: 48 } },
  { name: 'breathing', features: { ...common, frames: 48 } },
];

test('real Coswara recordings become labelled samples; empty files are reported by participant and filled with silence', { skip: coswaraSkip }, async () => {
  const full = openDataset(COSWARA_DIR);
  // Every participant with an empty recording, plus a few good ones, keeps the test quick.
  const withEmpty = ['TRK6gUseEUS7dbF0soG80W1uLm53'];
  const subjects = full.subjects.filter((s, i) => withEmpty.includes(s.id) || i < 10);
  const dataset: Dataset = { ...full, subjects };
  const dir = mkdtempSync(join(tmpdir(), 'tm2-features-'));
  try {
    const cache = new FeatureCache(dir);
    const first = await audioSamples(dataset, { modalities, labelColumn: 'g', labels: ['female', 'male'], cache });
    assert.ok(first.skipped.some((s) => s.subject === 'TRK6gUseEUS7dbF0soG80W1uLm53' && s.modality === 'cough' && /empty/.test(s.reason)));
    assert.deepEqual(first.unusable, ['TRK6gUseEUS7dbF0soG80W1uLm53'], 'a participant with nothing usable is left out');
    assert.equal(first.set.count, subjects.length - 1);
    assert.equal(first.set.modalities[1]!.length, first.set.count * 48 * 16);
    assert.ok(first.set.labels.every((l) => l === 0 || l === 1));
    // Real speech is far above silence, except in the batch's digitally silent take (peak 1 LSB).
    const silence = silenceValue(common);
    const silent: string[] = [];
    for (let n = 0; n < first.set.count; n++) {
      const sample = first.set.modalities[1]!.subarray(n * 768, (n + 1) * 768);
      if (first.set.present[n]![1] && !(Math.max(...sample) > silence + 5)) silent.push(first.set.groups[n]!);
    }
    assert.deepEqual(silent, ['2XgDqzQkqLX9SbmSHfbqdRxSmRD2']);
    const cached = readdirSync(dir).length;
    assert.ok(cached >= (subjects.length - 1) * 3 - 3, `${cached} feature files cached`);
    const again = await audioSamples(dataset, { modalities, labelColumn: 'g', labels: ['female', 'male'], cache });
    assert.deepEqual(again.set.modalities[0], first.set.modalities[0], 'the cache returns the same features');
    assert.equal(readdirSync(dir).length, cached, 'a second pass computes nothing new');

    const crops = await audioSamples(dataset, { modalities, labelColumn: 'g', labels: ['female', 'male'], cache, crops: 4 });
    assert.equal(crops.set.count, first.set.count * 4);
    assert.deepEqual(crops.set.groups.slice(0, 4), new Array(4).fill(crops.set.groups[0]), 'crops of one participant stay one group');
    await assert.rejects(audioSamples(dataset, { modalities, labelColumn: 'no_such_column', cache }), /no label column 'no_such_column'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
