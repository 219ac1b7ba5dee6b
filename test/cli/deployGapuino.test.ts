import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../src-main/storage/appPaths';

function tinym2(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

const model = join(repoRoot, 'resources', 'models', 'coswara-gender-audio');

test('tinym2 deploy sends the bundled model to a simulated GAPuino and verifies it; USB absence is explained', { skip: existsSync(model) ? false : 'bundled audio model not built' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm2-cli-gapuino-'));
  try {
    const env = { TINYM2_DATA_DIR: dir };
    const flash = join(dir, 'flash.img');
    const r = tinym2(['deploy', 'coswara-gender-audio', '--to', `sim:${flash}`, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { slot: number; modelId: string; maxDiffLsb: number };
    assert.equal(result.modelId, 'coswara-gender-audio');
    assert.ok(result.maxDiffLsb <= 1);
    assert.ok(existsSync(flash), 'the simulated board keeps its flash image');
    // A second deploy goes to the other slot: the first model stays for rollback.
    const again = tinym2(['deploy', 'coswara-gender-audio', '--to', `sim:${flash}`, '--json'], env);
    assert.equal(again.status, 0, again.stderr);
    assert.notEqual((JSON.parse(again.stdout) as { slot: number }).slot, result.slot);

    const usb = tinym2(['deploy', 'coswara-gender-audio', '--to', 'gapuino'], env);
    assert.equal(usb.status, 1);
    assert.match(usb.stderr, /USB unavailable on this machine/);
    const badBaud = tinym2(['deploy', 'coswara-gender-audio', '--to', 'gapuino', '--baud', 'fast'], env);
    assert.equal(badBaud.status, 2);
    assert.match(badBaud.stderr, /--baud must be a positive integer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--allow-downgrade with a GAPuino or simulated target is a usage error, not silently ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm2-cli-gapuino-'));
  try {
    for (const to of [`sim:${join(dir, 'flash.img')}`, 'gapuino']) {
      const r = tinym2(['deploy', 'coswara-gender-audio', '--to', to, '--allow-downgrade'], { TINYM2_DATA_DIR: dir });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--allow-downgrade applies to Raspberry Pi targets \(--to pi:\/\/…\); a GAPuino installs any version, so leave it out/);
      assert.equal(existsSync(join(dir, 'flash.img')), false, 'nothing was deployed');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
