import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { buildFirmware, tempDir, toolCommand } from './buildFirmware';
import { writeGoldenVectors } from './goldenVectors';

test('the C kernels (ASan+UBSan host build) are bit-exact with the TypeScript reference on every golden vector', () => {
  const build = buildFirmware('host-san');
  const file = path.join(tempDir('tm2-golden-'), 'golden.bin');
  // 24 random single-op graphs of each of the 9 kinds (3 input sets each) + 4 two-branch graphs probed at every layer.
  const { cases, values } = writeGoldenVectors(file);
  const [cmd, args] = toolCommand(build, 'host-san', 'golden_test');
  const r = spawnSync(cmd, [...args, file], { encoding: 'utf8' });
  console.log(r.stdout.trim());
  assert.equal(r.stderr, '', 'no sanitizer report');
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`golden: ${cases} cases, ${values} values compared, 0 mismatches`));
  assert.ok(values > 50_000, `only ${values} values compared`);
});
