/**
 * Fuzzing the CSV manifest readers (issue #21 item 5): the audio data-set manifest
 * (subject,label,modality,path) and the frame-set manifest (subject,label,frame,depth,thermal), with
 * cells replaced by traversal names, absolute paths to bait files outside the set, symbolic links, a named
 * pipe, `/dev/zero`, quotes, NUL and very long lines. The target fails an input that makes either loader
 * open a file outside the set folder (see targets/csvManifest.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { describeFailures, describeOutcome, describeReport, failureOf, FUZZ_BOUNDS, fuzz, fuzzInputs, fuzzSeed, readCorpus, TargetProcess } from './fuzzTarget';
import { chance, mutateBytes, mutateCsv } from './mutator';

const corpus = readCorpus('csvManifest');
const target = new TargetProcess('csvManifest', new URL('./targets/csvManifest.ts', import.meta.url));
after(() => target.close());

/** Cell values worth trying: the set's own files, ways out of the folder, and words the headers use. */
const vocabulary = [
  ...['a.wav', 'b.wav', 'sub/c.wav', 'f1_depth.png', 'f1_thermal.png', 'sub/f2_depth.png', 'sub/f2_thermal.png', './a.wav', 'sub/../a.wav', 'sub', '.'],
  ...['../outside.wav', '../../outside.wav', 'sub/../../outside.wav', '../outside_depth.png', '../outside_thermal.png', '..\\outside.wav', '%2e%2e/outside.wav'],
  ...['$SANDBOX/outside.wav', '$SANDBOX/outside_depth.png', '$SANDBOX/outside_thermal.png', '$SANDBOX/set/a.wav', 'file://$SANDBOX/outside.wav', 'C:\\outside.wav'],
  ...['link.wav', 'link_depth.png', 'link_thermal.png', 'linkdir/outside.wav', 'linkdir/set/a.wav', 'linkdir/outside_depth.png', 'pipe.wav', 'pipe_depth.png'],
  ...['/dev/zero', '/dev/urandom', '/etc/hostname', '/proc/self/mem', 'a.wav\u0000.png'],
  ...['subject', 'label', 'modality', 'path', 'frame', 'depth', 'thermal', 'cough', 'speech', 'female', 'male', 'standing', 'sitting'],
];

describe('CSV manifests under fuzzing', () => {
  test('the seed manifests load their recordings and frames', async () => {
    for (const f of corpus.filter((c) => c.name.startsWith('seed-'))) {
      const o = await target.run(f.bytes, f.name);
      assert.equal(o.status, 'returned', `${f.name} ${describeOutcome(o)}`);
      const value = (o as { value: { audio: unknown; frames: unknown } }).value;
      const loaded = f.name.includes('frames') ? (value.frames as { loaded: number }).loaded : (value.audio as { samples: number }).samples;
      assert.ok(loaded > 0, `${f.name}: nothing loaded (${describeOutcome(o)})`);
    }
  });

  for (const f of corpus.filter((c) => c.name.startsWith('csv-'))) {
    test(`${f.name}: rows naming files outside the set (.., absolute, links, /dev/zero, a pipe) are refused within ${FUZZ_BOUNDS.replayMs / 1000} s and never opened`, async () => {
      const o = await target.run(f.bytes, f.name);
      const failure = failureOf(o);
      assert.equal(failure, undefined, `${f.name}: ${failure?.kind}: ${failure?.detail}`);
      assert.ok(o.ms < FUZZ_BOUNDS.replayMs, `${f.name} took ${o.ms.toFixed(0)} ms`);
    });
  }

  const inputs = fuzzInputs(3000);
  const seed = fuzzSeed(21_05_03);
  test(`${inputs} mutated manifests (seed ${seed}): nothing outside the set opened, no uncaught exception, none over 5 s, target peak RSS ≤ 1 GiB`, async (t) => {
    const report = await fuzz({
      target,
      corpus,
      seed,
      inputs,
      mutate: (parent, random) =>
        chance(random, 0.8) ? new TextEncoder().encode(mutateCsv(new TextDecoder().decode(parent.bytes), random, { vocabulary })) : mutateBytes(parent.bytes, random, { maxLength: 256 * 1024 }),
      classify: (o) => {
        if (o.status !== 'returned') return o.status === 'threw' ? o.error!.name : o.status;
        const v = o.value as { audio: string | { samples: number }; frames: string | { loaded: number } };
        const audio = typeof v.audio === 'string' ? 'audio refused' : v.audio.samples ? 'audio loaded' : 'audio empty';
        const frames = typeof v.frames === 'string' ? 'frames refused' : v.frames.loaded ? 'frames loaded' : 'frames empty';
        return `${audio}, ${frames}`;
      },
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });
});
