import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../../src-main/cli/main';
import { repoRoot } from '../../../src-main/storage/appPaths';
import { startAgentProcess, writeTestPackage, type AgentProcess } from './piFixture';

const root = mkdtempSync(join(tmpdir(), 'tm2-pi-cli-'));
const studioData = join(root, 'studio');
const pkgV1 = join(root, 'pkgs', 'v1');
const pkgV2 = join(root, 'pkgs', 'v2');
let agent: AgentProcess;
let address: string;
const savedDataDir = process.env.TINYM2_DATA_DIR;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

before(async () => {
  process.env.TINYM2_DATA_DIR = studioData;
  writeTestPackage(pkgV1, 31, '1.0.0');
  writeTestPackage(pkgV2, 32, '2.0.0');
  agent = await startAgentProcess(join(root, 'agent'));
  address = `pi://127.0.0.1:${agent.port}`;
});

after(async () => {
  await agent?.stop();
  if (savedDataDir === undefined) delete process.env.TINYM2_DATA_DIR;
  else process.env.TINYM2_DATA_DIR = savedDataDir;
  rmSync(root, { recursive: true, force: true });
});

test('tinym2 pair / deploy / devices / rollback / unpair against a real agent', async () => {
  const unpaired = await cli(['deploy', pkgV1, '--to', address]);
  assert.equal(unpaired.code, 1);
  assert.match(unpaired.err, /is not paired with this studio\. Pair it first: tinym2 pair pi:\/\/127\.0\.0\.1:\d+ --code/);
  assert.equal((await cli(['pair', 'http://x:1', '--code', '123456'])).code, 2);
  assert.match((await cli(['pair', address, '--code', '12ab'])).err, /--code takes the 6–8 digit code/);

  const pair = await cli(['pair', address, '--code', agent.code()!, '--name', 'ward 3']);
  assert.equal(pair.code, 0, pair.err);
  assert.ok(pair.out.includes(`Certificate fingerprint (SHA-256): ${agent.fingerprint256}`));
  assert.match(pair.out, /Compare it with the fingerprint the agent printed/);

  const d1 = await cli(['deploy', pkgV1, '--to', address]);
  assert.equal(d1.code, 0, d1.err);
  assert.match(d1.out, /pi-test-model 1\.0\.0 is active on pi:\/\/127\.0\.0\.1:\d+\./);
  assert.match(d1.out, /Verified: the Pi's output on the golden input equals this computer's/);
  const d2 = await cli(['deploy', pkgV2, '--to', address, '--json']);
  assert.equal(d2.code, 0, d2.err);
  const report = JSON.parse(d2.out) as { model: { version: string }; previous: { version: string }; verified: boolean };
  assert.deepEqual([report.model.version, report.previous.version, report.verified], ['2.0.0', '1.0.0', true]);

  const list = await cli(['devices']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /pi:\/\/127\.0\.0\.1:\d+ \(ward 3\)\s+online\s+agent [0-9a-f]{8} v[\d.]+\s+model pi-test-model 2\.0\.0 \(previous pi-test-model 1\.0\.0\)/);
  assert.match(list.out, /^USB: /m);
  const json = JSON.parse((await cli(['devices', '--json'])).out) as { pis: { state: string; info: { model: { active: { version: string } } } }[]; usb: { available: boolean } };
  assert.equal(json.pis[0]!.state, 'online');
  assert.equal(json.pis[0]!.info.model.active.version, '2.0.0');
  assert.equal(typeof json.usb.available, 'boolean');

  const rb = await cli(['rollback', '--to', address]);
  assert.equal(rb.code, 0, rb.err);
  assert.match(rb.out, /now runs pi-test-model 1\.0\.0 \(previous pi-test-model 2\.0\.0\)/);

  // The bin launcher, as a technician runs it: non-interactive progress goes to stderr, the result to stdout.
  const spawned = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinym2.mjs'), 'deploy', pkgV2, '--to', address], { encoding: 'utf8', env: { ...process.env, TINYM2_DATA_DIR: studioData } });
  assert.equal(spawned.status, 0, spawned.stderr);
  assert.match(spawned.stderr, /deploy → pi:\/\/127\.0\.0\.1:\d+ 100% done/);
  assert.match(spawned.stdout, /pi-test-model 2\.0\.0 is active/);

  await agent.stop();
  const offline = await cli(['devices']);
  assert.match(offline.out, /offline\s+Cannot reach the Pi at pi:\/\/127\.0\.0\.1:\d+ \(connection refused/);
  const failed = await cli(['rollback', '--to', address]);
  assert.equal(failed.code, 1);
  assert.match(failed.err, /tinym2-agent is not running on that port/);

  assert.equal((await cli(['unpair', address])).code, 0);
  assert.match((await cli(['devices'])).out, /No Raspberry Pi paired yet/);
});
