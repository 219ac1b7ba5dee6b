/**
 * Fuzzing WAV import (issue #21 item 5): mutated RIFF/WAVE files through importWavBytes, plus the
 * hand-crafted cases of the issue replayed from the corpus with their expected outcomes.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { assertRefused, FUZZ_BOUNDS, describeFailures, describeOutcome, describeReport, failureOf, fuzz, fuzzInputs, fuzzSeed, readCorpus, TargetProcess } from './fuzzTarget';
import { mutateBytes, riffLayout } from './mutator';

const corpus = readCorpus('wav');
const wavs = corpus.filter((f) => f.name.endsWith('.wav'));
const byName = (name: string) => corpus.find((f) => f.name === name)!;
const target = new TargetProcess('wav', new URL('./targets/wav.ts', import.meta.url));
after(() => target.close());

describe('WAV import under fuzzing', () => {
  test('every seed WAV (8/16/24/32-bit, float, stereo, extensible, RIFX, extra chunks) imports', async () => {
    for (const f of corpus.filter((c) => c.name.startsWith('seed-'))) {
      const o = await target.run(f.bytes, f.name);
      assert.equal(o.status, 'returned', `${f.name} ${describeOutcome(o)}`);
    }
  });

  test('wav-1hz.wav: 40 KB claiming 1 Hz fails fast with AudioImportError naming the file (not a resample to 320 M samples)', async () => {
    const f = byName('wav-1hz.wav');
    assertRefused(await target.run(f.bytes, f.name), { name: 'AudioImportError', maxMs: FUZZ_BOUNDS.replayMs, mentions: [f.name] }, f.name);
  });

  test('wav-4294967295hz.wav: a rate of 4294967295 Hz is an AudioImportError, not a RangeError', async () => {
    const f = byName('wav-4294967295hz.wav');
    assertRefused(await target.run(f.bytes, f.name), { name: 'AudioImportError', maxMs: FUZZ_BOUNDS.replayMs, mentions: [f.name] }, f.name);
  });

  test("wav-dev-zero.path: importWav('/dev/zero') is refused fast with AudioImportError", async () => {
    const f = byName('wav-dev-zero.path');
    assertRefused(await target.run(f.bytes, f.name), { name: 'AudioImportError', maxMs: FUZZ_BOUNDS.replayMs, mentions: ['/dev/zero'] }, f.name);
  });

  test('wav-float64-beyond-float32-range.wav (found by this fuzzer): a float sample of 1e300 is refused or kept finite, never imported as Infinity', async () => {
    const f = byName('wav-float64-beyond-float32-range.wav');
    const o = await target.run(f.bytes, f.name);
    const failure = failureOf(o);
    assert.equal(failure, undefined, `${f.name}: ${failure?.kind}: ${failure?.detail}`);
  });

  const inputs = fuzzInputs(20_000);
  const seed = fuzzSeed(21_05_01);
  test(`${inputs} mutated WAVs (seed ${seed}): no uncaught exception, none over 5 s, target peak RSS ≤ 1 GiB`, async (t) => {
    const report = await fuzz({
      target,
      corpus: wavs,
      seed,
      inputs,
      mutate: (parent, random) => mutateBytes(parent.bytes, random, { layout: riffLayout, corpus: wavs.map((w) => w.bytes), maxLength: 256 * 1024 }),
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });
});
