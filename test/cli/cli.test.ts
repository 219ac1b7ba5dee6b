import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../src-main/storage/appPaths';
import { resourcesWithModels, writeFixturePackage } from '../fixtures/modelPackage';

function tinym2(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

test('tinym2 --help lists the commands', () => {
  const r = tinym2(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: tinym2 <command>/);
  assert.match(r.stdout, /^\s+models \[--json\]\s+List the model packages/m);
});

test('unknown commands and options fail with usage, exit 2', () => {
  const r = tinym2(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  const o = tinym2(['models', '--colour']);
  assert.equal(o.status, 2);
  assert.match(o.stderr, /unknown option --colour/);
});

test('tinym2 models lists packages from the resources folder, and reports broken ones', async () => {
  const resources = await resourcesWithModels([await writeFixturePackage()]);
  const data = await mkdtemp(join(tmpdir(), 'tinym2-data-'));
  const env = { TINYM2_RESOURCES_DIR: resources, TINYM2_DATA_DIR: data };
  const json = tinym2(['models', '--json'], env);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual((JSON.parse(json.stdout) as { models: { id: string; source: string }[] }).models.map((m) => [m.id, m.source]), [['fixture-audio', 'bundled']]);
  const text = tinym2(['models'], env);
  assert.match(text.stdout, /fixture-audio\s+v0\.0\.1\s+audio\s+\[cough, speech\]\s+5800 B weights, 20480 B peak\s+81\.2 % balancedAccuracy/);

  await mkdir(join(data, 'models', 'broken'), { recursive: true });
  await writeFile(join(data, 'models', 'broken', 'model.json'), '{');
  const broken = tinym2(['models'], env);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /problem: .*broken\/model\.json: not valid JSON/);
  assert.match(broken.stdout, /fixture-audio/, 'the good package is still listed');
});
