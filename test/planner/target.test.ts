import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledTargets, bundledTargetsDir, loadTargetFile, loadTargets, TargetFileError } from '../../src-main/planner/target';

const KB = 1024;

test('the bundled targets load: gap8, rpi4b and custom with their datasheet capacities', () => {
  const targets = bundledTargets();
  assert.deepEqual(targets.map((t) => t.id), ['custom', 'gap8', 'rpi4b']);
  const capacity = (target: string, level: string) => targets.find((t) => t.id === target)!.levels.find((l) => l.id === level)!.capacityBytes;
  assert.equal(capacity('gap8', 'l1'), (64 + 16) * KB);
  assert.equal(capacity('gap8', 'l1-cluster'), 64 * KB);
  assert.equal(capacity('gap8', 'l1-fc'), 16 * KB);
  assert.equal(capacity('gap8', 'l2'), 512 * KB);
  assert.equal(capacity('rpi4b', 'l1'), 32 * KB);
  assert.equal(capacity('rpi4b', 'l2'), 1024 * KB);
  for (const t of targets) assert.ok(t.sources.length > 0, `${t.id} cites its sources`);
  assert.ok(targets.find((t) => t.id === 'rpi4b')!.sources.some((s) => s.url?.includes('raspberrypi.com')));
});

test('bad target files name the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-targets-'));
  try {
    const good = loadTargetFile(join(bundledTargetsDir(), 'gap8.json'));
    const write = (name: string, body: string) => {
      const file = join(dir, name);
      writeFileSync(file, body);
      return file;
    };
    const negative = { ...good, levels: [good.levels[0]!, { ...good.levels[1]!, capacityBytes: -5 }] };
    const file = write('gap8.json', JSON.stringify(negative));
    assert.throws(
      () => loadTargetFile(file),
      (e: unknown) => e instanceof TargetFileError && e.file === file && e.field === 'levels.1.capacityBytes' && e.message.startsWith(`${file}: field 'levels.1.capacityBytes'`),
    );
    const holds = write('holds.json', JSON.stringify({ ...good, id: 'holds', levels: [{ ...good.levels[0]!, holds: ['weights', 'biases'] }] }));
    assert.throws(() => loadTargetFile(holds), /holds\.json: field 'levels\.0\.holds\.1'/);
    const dup = write('dup.json', JSON.stringify({ ...good, id: 'dup', levels: [good.levels[0]!, good.levels[0]!] }));
    assert.throws(() => loadTargetFile(dup), /dup\.json: field 'levels': level ids must be unique/);
    const misnamed = write('pico.json', JSON.stringify(good));
    assert.throws(() => loadTargetFile(misnamed), /pico\.json: field 'id': is "gap8" but the file is named pico\.json/);
    const noSources = write('bare.json', JSON.stringify({ ...good, id: 'bare', sources: [] }));
    assert.throws(() => loadTargetFile(noSources), /bare\.json: field 'sources'/);
    const broken = write('broken.json', '{ "id": "broken", ');
    assert.throws(() => loadTargetFile(broken), /broken\.json: not valid JSON/);
    assert.throws(() => loadTargetFile(join(dir, 'absent.json')), /absent\.json: cannot read the target file \(ENOENT\)/);
    assert.throws(() => loadTargets(dir), /bare\.json: field 'sources'/, 'a folder with a bad file fails naming the first bad one');
    assert.throws(() => loadTargets(join(dir, 'nope')), /nope: cannot list the targets folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
