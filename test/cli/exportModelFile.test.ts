import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../src-main/storage/appPaths';
import { writeFixturePackage } from '../fixtures/modelPackage';

function tinym2(args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { encoding: 'utf8' });
}

test('tinym2 export writes the named file of a package, and refuses one whose file is a link out of it', async () => {
  const pkg = await writeFixturePackage();
  const out = join(mkdtempSync(join(tmpdir(), 'tinym2-cli-export-')), 'model.onnx');
  const ok = tinym2(['export', pkg, '--format', 'onnx-int8', '--out', out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(readFileSync(out), readFileSync(join(pkg, 'model.int8.onnx')));

  // The package now names a link to a file outside it: the export must not copy that file's bytes.
  unlinkSync(join(pkg, 'model.int8.onnx'));
  symlinkSync('/etc/passwd', join(pkg, 'model.int8.onnx'));
  const leaked = join(mkdtempSync(join(tmpdir(), 'tinym2-cli-export-')), 'passwd.onnx');
  const refused = tinym2(['export', pkg, '--format', 'onnx-int8', '--out', leaked]);
  assert.equal(refused.status, 1, refused.stdout);
  assert.match(refused.stderr, /model\.int8\.onnx: files\.int8Onnx leads outside .* through a symbolic link/);
  assert.equal(existsSync(leaked), false);
});
