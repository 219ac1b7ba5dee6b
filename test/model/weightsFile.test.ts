import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildArchitecture } from '../../src-main/model/architecture';
import { studentArchitecture } from '../../src-main/model/tinyM2Net';
import { readFloatModel, writeFloatModel } from '../../src-main/model/weightsFile';
import { initWeights } from '../../src-main/train/initWeights';

test('a float model file round-trips architecture and every weight, and leaves no temp files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm2-weights-'));
  try {
    const arch = buildArchitecture(studentArchitecture({ modalities: [{ name: 'cough', input: [16, 8, 1] }], classes: 3 }));
    const weights = initWeights(arch, 5);
    const file = join(dir, 'm.model.json');
    writeFloatModel(file, arch, weights);
    assert.deepEqual(readdirSync(dir), ['m.model.json']);
    const back = readFloatModel(file);
    assert.deepEqual(back.arch.spec, arch.spec);
    assert.deepEqual(back.weights, weights);
    writeFileSync(file, '{"format":"tinym2-float-model","version":2}');
    assert.throws(() => readFloatModel(file), /m\.model\.json: field 'version'/);
    writeFileSync(file, 'garbage');
    assert.throws(() => readFloatModel(file), /m\.model\.json: cannot read a float model/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
