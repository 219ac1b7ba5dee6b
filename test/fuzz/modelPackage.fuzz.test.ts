/**
 * Fuzzing model packages in folder form (issue #21 item 5): bundled packages with model.json mutated
 * (file names replaced by traversal names, absolute paths and links; wrong types; huge arrays) and the
 * folder's files deleted, swapped for links, pipes or folders. See targets/modelPackage.ts for what every
 * input must respect; above all, an import never writes outside the user models folder.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot } from '../../src-main/storage/appPaths';
import { describeFailures, describeOutcome, describeReport, failureOf, FUZZ_BOUNDS, fuzz, fuzzInputs, fuzzSeed, readCorpus, TargetProcess, type CorpusFile } from './fuzzTarget';
import { chance, mutateBytes, mutateJson, pick, type Random } from './mutator';
import type { PackageSpec } from './targets/modelPackage';

const corpus = readCorpus('modelPackage');
const target = new TargetProcess('modelPackage', new URL('./targets/modelPackage.ts', import.meta.url));
after(() => target.close());

const BUNDLED_FILES = ['model.json', 'model.int8.onnx', 'model.float.onnx', 'model.tm2b', 'int8-graph.json', 'architecture.json'];
const ROLES = ['int8Onnx', 'floatOnnx', 'firmwareBlob', 'int8Graph', 'architecture'];
/** Names a package might give: its own files, and every way out of its folder the bait files answer to. */
const vocabulary = [
  ...BUNDLED_FILES,
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((k) => `${'../'.repeat(k)}PWNED.sh`),
  ...['../outside.txt', '../../outside.txt', 'sub/../../PWNED.sh', '$SANDBOX/outside.txt', '$SANDBOX/a/PWNED.sh', '/dev/zero', '/etc/hostname', 'file:///etc/hostname'],
  ...['onnx/model.int8.onnx', 'sub/../model.int8.onnx', './model.int8.onnx', 'model.int8.onnx/', 'model.int8.onnx\u0000.txt', 'a\\..\\..\\PWNED.sh', 'C:\\PWNED.sh', '.', '..', ''],
  ...['coswara-gender-audio', 'pose-depth-thermal', 'fuzz-x', '.hidden', 'a..b', 'x'.repeat(300)],
];
const LINK_TARGETS = ['../../outside.txt', '../../../PWNED.sh', '$SANDBOX/outside.txt', '/dev/zero', '/etc/hostname', '.', '..', 'model.json', 'missing'];

const baseModelJson = (base: string | undefined) => {
  try {
    return readFileSync(join(repoRoot, 'resources', 'models', base ?? 'coswara-gender-audio', 'model.json'), 'utf8');
  } catch {
    return '{}';
  }
};

/** Aimed edits: the fields that name files or folders are where a package escapes, so they are hit often. */
function aimAtNames(text: string, random: Random): string {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  if (typeof m !== 'object' || m === null) return text;
  const files = (typeof m.files === 'object' && m.files !== null ? m.files : (m.files = {})) as Record<string, unknown>;
  const sha = (typeof m.sha256 === 'object' && m.sha256 !== null ? m.sha256 : (m.sha256 = {})) as Record<string, unknown>;
  switch (random.int(4)) {
    case 0:
      files[pick(random, ROLES)] = pick(random, vocabulary);
      delete m.sha256; // otherwise a checksum mismatch refuses the package before the name matters
      break;
    case 1:
      sha[pick(random, vocabulary)] = pick(random, ['0'.repeat(64), 'cebf25e0668376ce72d60cc05894de697b174396e5036fdb525363c351bf1f9b', 'not hex']);
      break;
    case 2:
      m.id = pick(random, vocabulary);
      break;
    default:
      delete m.sha256;
  }
  return JSON.stringify(m, null, 1);
}

function mutateFolder(spec: PackageSpec, random: Random): PackageSpec['files'] {
  const files = { ...spec.files };
  const name = chance(random, 0.8) ? pick(random, BUNDLED_FILES) : pick(random, ['onnx/model.int8.onnx', 'extra.bin', 'sub/dir/x']);
  files[name] = pick(random, [null, 'dir', 'fifo', 'text:', 'text:garbage', `symlink:${pick(random, LINK_TARGETS)}`, `b64:${Buffer.from(Array.from({ length: random.int(64) }, () => random.int(256))).toString('base64')}`]);
  return files;
}

function mutatePackage(parent: CorpusFile, random: Random): Uint8Array {
  let spec: PackageSpec;
  try {
    spec = JSON.parse(new TextDecoder().decode(parent.bytes)) as PackageSpec;
  } catch {
    spec = {};
  }
  let modelJson = spec.modelJson ?? baseModelJson(spec.base);
  if (chance(random, 0.5)) modelJson = aimAtNames(modelJson, random);
  if (chance(random, 0.5)) modelJson = mutateJson(modelJson, random, { vocabulary });
  if (chance(random, 0.1)) modelJson = new TextDecoder().decode(mutateBytes(new TextEncoder().encode(modelJson), random, { maxStack: 4 }));
  const files = chance(random, 0.3) ? mutateFolder(spec, random) : spec.files;
  const base = chance(random, 0.05) ? pick(random, ['coswara-gender-audio', 'pose-depth-thermal', '../models', 'none']) : spec.base;
  return new TextEncoder().encode(JSON.stringify({ base, modelJson, files }));
}

/** What each hand-crafted package's refusal must name: the field or file that is wrong. */
const REGRESSIONS: Record<string, RegExp> = {
  'model-architecture-traversal.json': /architecture|PWNED\.sh/,
  'model-absolute-path.json': /int8Onnx|outside\.txt/,
  'model-dev-zero.json': /int8Onnx|\/dev\/zero/,
  'model-symlinked-file.json': /model\.int8\.onnx/,
  'model-named-pipe.json': /model\.int8\.onnx/,
  'model-sha256-key-traversal.json': /architecture|PWNED\.sh/,
  // Found by this fuzzer: an id the schema accepts but no file system can name (ENAMETOOLONG, a 500 through the API).
  'model-id-300-characters.json': /id/,
};

describe('model packages under fuzzing', () => {
  test('the seed packages scan and import', async () => {
    for (const f of corpus.filter((c) => c.name.startsWith('seed-'))) {
      const o = await target.run(f.bytes, f.name);
      assert.equal(o.status, 'returned', `${f.name} ${describeOutcome(o)}`);
      const value = (o as { value: { scanned: number; outcome: string } }).value;
      assert.equal(value.scanned, 1, `${f.name} ${describeOutcome(o)}`);
      assert.match(value.outcome, /^imported /, `${f.name} ${describeOutcome(o)}`);
    }
  });

  for (const [name, mentions] of Object.entries(REGRESSIONS)) {
    test(`${name}: refused by scan and import within ${FUZZ_BOUNDS.replayMs / 1000} s, naming what is wrong, with nothing written or read outside`, async () => {
      const f = corpus.find((c) => c.name === name)!;
      const o = await target.run(f.bytes, f.name);
      const failure = failureOf(o);
      assert.equal(failure, undefined, `${name}: ${failure?.kind}: ${failure?.detail}`);
      assert.equal(o.status, 'returned', `${name} ${describeOutcome(o)}`);
      const value = (o as { value: { scanned: number; problems: string[]; outcome: string } }).value;
      if (name !== 'model-id-300-characters.json') assert.equal(value.scanned, 0, `${name}: scanModels accepted it (${describeOutcome(o)})`);
      assert.match(value.outcome, /^refused: /, `${name}: ${describeOutcome(o)}`);
      assert.match(value.outcome, mentions, `${name}: the refusal should name what is wrong: ${value.outcome}`);
      assert.ok(o.ms < FUZZ_BOUNDS.replayMs, `${name} took ${o.ms.toFixed(0)} ms`);
    });
  }

  const inputs = fuzzInputs(2000);
  const seed = fuzzSeed(21_05_04);
  test(`${inputs} mutated packages (seed ${seed}): nothing written or read outside, accepted packages valid, no uncaught exception, none over 5 s, target peak RSS ≤ 1 GiB`, async (t) => {
    const report = await fuzz({
      target,
      corpus,
      seed,
      inputs,
      mutate: mutatePackage,
      classify: (o) => {
        if (o.status !== 'returned') return o.status === 'threw' ? o.error!.name : o.status;
        const v = o.value as { scanned: number; outcome: string };
        return `scan ${v.scanned ? 'accepted' : 'refused'}, ${v.outcome.split(' ', 1)[0]}`;
      },
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });
});
