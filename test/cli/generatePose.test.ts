import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import { repoRoot } from '../../src-main/storage/appPaths';

function tinym2(args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { encoding: 'utf8' });
}

test('tinym2 generate-pose writes a loadable set with a progress bar on stderr', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tinym2-cli-pose-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'poses');
  const r = tinym2(['generate-pose', '--out', out, '--n', '12', '--seed', '3', '--depth', '64x48', '--thermal', '32x24', '--subjects', '2', '--sheet', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /generate-pose 100% 12\/12/);
  assert.match(r.stdout, /Wrote 12 samples \(standing 2, sitting 2, lying 2, fallen 2, bending 2, hands_raised 2\) from 2 subjects to .*poses in \d+\.\d s/);
  const { report, samples } = await importLabelledSet(out);
  assert.deepEqual(report.problems, []);
  assert.equal(report.loaded, 12);
  assert.deepEqual([samples[0]!.depth.width, samples[0]!.depth.height, samples[0]!.thermal.width, samples[0]!.thermal.height], [64, 48, 32, 24]);
  assert.ok((await readdir(out)).includes('contact-sheet.png'));
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { seed: number; depthSize: { width: number } };
  assert.equal(manifest.seed, 3);
  assert.equal(manifest.depthSize.width, 64);

  const again = tinym2(['generate-pose', '--out', out, '--n', '12', '--seed', '3']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists and is not empty \(pass replace \/ --force/);
  const forced = tinym2(['generate-pose', '--out', out, '--n', '6', '--seed', '4', '--depth', '64x48', '--classes', 'lying,fallen', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual((await importLabelledSet(out)).report.perLabel, { fallen: 3, lying: 3 });
});

test('tinym2 generate-pose refuses bad arguments with usage (exit 2)', () => {
  for (const [args, message] of [
    [['--n', '5', '--seed', '1'], /--out <dir> is required/],
    [['--out', '/tmp/x', '--seed', '1'], /--n <int> is required/],
    [['--out', '/tmp/x', '--n', '5', '--seed', '1', '--depth', '160by120'], /--depth must look like 160x120, got '160by120'/],
    [['--out', '/tmp/x', '--n', 'lots', '--seed', '1'], /--n must be a whole number, got 'lots'/],
    [['--out', '/tmp/x', '--n', '5', '--seed', '1', '--classes', 'standing,dancing'], /--classes: unknown pose class 'dancing'/],
  ] as const) {
    const r = tinym2(['generate-pose', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Usage: tinym2 generate-pose --out <dir>/);
  }
  const help = tinym2(['--help']);
  assert.match(help.stdout, /generate-pose --out <dir> --n <count> --seed <int>/);
  assert.match(help.stdout, /Generate a synthetic labelled depth \+ thermal body-pose set/);
});
