import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  DOC_FILE,
  KNOWN_VIOLATIONS_FILE,
  analyse,
  findViolations,
  generatedParts,
  pictureEdges,
  readKnownViolations,
  repoRoot,
  scanImports,
  specifiersOf,
  withGeneratedParts,
  type ArchitectureConfig,
} from '../../scripts/architecture';

// One scan of the real code, shared by the tests below.
const analysis = analyse();
const known = readKnownViolations();
const knownKeys = known.flatMap((g) => g.violations);

test('no import breaks the layering beyond the known violations', () => {
  const listed = new Set(knownKeys);
  const unlisted = analysis.violations.filter((v) => !listed.has(v.key)).map((v) => `${v.key}\n    ${v.detail}`);
  assert.deepEqual(
    unlisted,
    [],
    `New layering violations (docs/ARCHITECTURE.md): fix the import, or change the layering in scripts/architecture.ts if it is the layering that is wrong.\n${unlisted.join('\n')}`,
  );
});

test('every known violation still exists (a fixed one leaves the list)', () => {
  const current = new Set(analysis.violations.map((v) => v.key));
  const gone = knownKeys.filter((k) => !current.has(k));
  assert.deepEqual(gone, [], `Fixed: delete these from ${KNOWN_VIOLATIONS_FILE}, then run npm run architecture.\n${gone.join('\n')}`);
});

test('the known list names each violation once and says how each will go', () => {
  const twice = knownKeys.filter((k, i) => knownKeys.indexOf(k) !== i);
  assert.deepEqual(twice, [], `listed more than once in ${KNOWN_VIOLATIONS_FILE}`);
  for (const group of known) {
    assert.match(group.plan, /#22 item \d/, `every plan names the issue #22 item that removes it: ${group.plan}`);
    assert.ok(group.violations.length > 0, `a plan with nothing left to fix goes: ${group.plan}`);
  }
});

test(`${DOC_FILE} shows the code as it is (npm run architecture)`, () => {
  const doc = readFileSync(join(repoRoot, DOC_FILE), 'utf8');
  const stale = Object.entries(generatedParts(analysis, known))
    .filter(([name, body]) => withGeneratedParts(doc, { [name]: body }) !== doc)
    .map(([name]) => name);
  assert.deepEqual(stale, [], `${DOC_FILE} is out of date in these parts: run npm run architecture`);
});

test('the scanner sees every way a file can name another', () => {
  const text = [
    "import a from './a';",
    "import type { B } from './b';",
    "import { type C } from './c';",
    "export { d } from './d';",
    "const e = await import('./e');",
    "type F = typeof import('./f');",
    "new Worker(new URL('./g.mjs', import.meta.url));",
    "const here = new URL('.', import.meta.url);",
    "import { z } from 'zod';",
  ].join('\n');
  assert.deepEqual(specifiersOf('x.ts', text), [
    { specifier: './a', kind: 'value' },
    { specifier: './b', kind: 'type' },
    { specifier: './c', kind: 'type' },
    { specifier: './d', kind: 'value' },
    { specifier: './e', kind: 'dynamic' },
    { specifier: './f', kind: 'type' },
    { specifier: './g.mjs', kind: 'worker' },
    { specifier: '.', kind: 'worker' },
    { specifier: 'zod', kind: 'value' },
  ]);
  // The real worker hand-offs are on the graph: runner → entry (worker) → worker module (dynamic import).
  const edges = analysis.scan.imports.map((i) => `${i.from} → ${i.to} (${i.kind})`);
  assert.ok(edges.includes('src-main/jobs/jobRunner.ts → src-main/jobs/jobWorkerEntry.mjs (worker)'));
  assert.ok(edges.includes('src-main/jobs/jobWorkerEntry.mjs → src-main/jobs/jobWorker.ts (dynamic)'));
});

test('each rule catches its own break on a small made-up tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'tinym2-architecture-'));
  try {
    const files: Record<string, string> = {
      'src-main/base/util.ts': 'export const util = 1;',
      'src-main/base/loopA.ts': "import { b } from './loopB';\nexport const a = b;",
      'src-main/base/loopB.ts': "import type { a } from './loopA';\nexport const b = 2;",
      'src-main/low/one.ts': "import { up } from '../high/api';\nexport const one = up;",
      'src-main/low/two.ts': "import { util } from '../base/util';\nexport const two = util;",
      'src-main/low/misfiled.ts': "import { two } from './two';\nexport const m = two;",
      'src-main/low/broken.ts': "import { nothing } from './missing';",
      'src-main/high/api.ts': "new Worker(new URL('./job.mjs', import.meta.url));\nexport const up = 3;",
      'src-main/high/job.mjs': "await import('./api.ts');",
      'src-main/sideA/x.ts': "import { y } from '../sideB/y';\nexport const x = y;",
      'src-main/sideB/y.ts': "import { x } from '../sideA/x';\nexport const y = x;",
      'src-main/peerA/a.ts': "import { b } from '../peerB/b';\nexport const a = b;",
      'src-main/peerB/b.ts': 'export const b = 4;',
      'src-main/stray/s.ts': 'export const s = 5;',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const config: ArchitectureConfig = {
      layers: [
        { name: 'bottom', modules: [{ name: 'base', purpose: '' }] },
        { name: 'middle', modules: ['low', 'sideA', 'sideB'].map((name) => ({ name, purpose: '' })) },
        { name: 'top', modules: ['high', 'peerA', 'peerB'].map((name) => ({ name, purpose: '' })) },
      ],
      subModules: [],
      filePlacements: { 'src-main/low/misfiled.ts': 'high', 'src-main/low/gone.ts': 'high' },
      separate: [{ modules: ['peerA', 'peerB'], why: 'peers' }],
      sources: ['src-main'],
    };
    const keys = findViolations(scanImports(root, config), config).map((v) => v.key);
    assert.deepEqual(keys, [
      'config: placed file src-main/low/gone.ts does not exist',
      'cycle: sideA ⇄ sideB',
      'file cycle: src-main/base/loopA.ts ⇄ src-main/base/loopB.ts',
      'file cycle: src-main/high/api.ts ⇄ src-main/high/job.mjs',
      'misplaced: src-main/low/misfiled.ts belongs to high',
      'separate: src-main/peerA/a.ts → src-main/peerB/b.ts',
      'unplaced: stray',
      'unresolved: src-main/low/broken.ts → ./missing',
      // low ⇄ high is a cycle too, but it runs through this upward import and is reported as it alone.
      'upward: src-main/low/one.ts → src-main/high/api.ts',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the picture leaves out an arrow a longer path already implies, never one that breaks a rule', () => {
  const kept = pictureEdges([
    { from: 'a', to: 'b', imports: 1 },
    { from: 'a', to: 'c', imports: 1 },
    { from: 'b', to: 'c', imports: 1 },
    { from: 'c', to: 'a', imports: 1, breaks: 'upward' },
  ]);
  assert.deepEqual(
    kept.map((e) => `${e.from}→${e.to}`),
    ['a→b', 'b→c', 'c→a'],
  );
});
