import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { startAgent, type RunningAgent } from '../../../src-main/agent/agentServer';
import { compareVersions } from '../../../src-main/agent/downgradeGuard';
import { ModelStore, type UploadDisk } from '../../../src-main/agent/modelStore';
import { DEFAULT_PAIRING_POLICY, Pairing } from '../../../src-main/agent/pairing';
import { loadOrCreateTlsIdentity } from '../../../src-main/agent/tlsIdentity';
import { DEFAULT_UPLOAD_PACE, type UploadPacePolicy } from '../../../src-main/agent/uploadPace';
import { LEGACY_MANIFEST_FORMAT, MANIFEST_FORMAT, MAX_DEPLOY_SEQUENCE, signManifest, type ModelManifest, type SignedManifest } from '../../../src-main/devices/modelSigning';
import { signPackage } from '../../../src-main/devices/pi/deployPackage';
import { deploySequencesPath, nextDeploySequence } from '../../../src-main/devices/pi/deploySequence';
import { agentRefusal, deployToPi, pairPi, piInfo, rollbackPi } from '../../../src-main/devices/pi/piClient';
import { piRequest, type PiResponse, type PiTarget } from '../../../src-main/devices/pi/piConnection';
import { PiDeviceError } from '../../../src-main/devices/pi/piDeviceError';
import { loadOrCreateStudioKey } from '../../../src-main/devices/pi/studioKey';
import { uploadBody, type UploadBody } from '../../../src-main/devices/pi/uploadFormat';
import { expectPiError, signForPi, writeTestPackage } from './piFixture';

/**
 * Issue #21 from an attacker's side: guessing pairing codes slowly, holding the deploy slot with a slow
 * or parallel upload, replaying an older signed package, and signing a sequence no one can pass. Agents
 * run in this process (real HTTPS on 127.0.0.1, real signatures) so the pace floor can be set to fractions
 * of a second.
 *
 * Timing bounds are loose on purpose (several seconds where the behaviour needs milliseconds): the machine
 * may have two cores and other test files running beside this one.
 */
const root = mkdtempSync(join(tmpdir(), 'tm2-pi-hardening-'));
const pkgV1 = join(root, 'pkgs', 'v1');
const pkgV2 = join(root, 'pkgs', 'v2');
const pkgBig = join(root, 'pkgs', 'big');
const agents: RunningAgent[] = [];

before(() => {
  writeTestPackage(pkgV1, 51, '1.0.0');
  writeTestPackage(pkgV2, 52, '2.0.0');
  // Long enough that a drip or a stall happens mid-body.
  writeTestPackage(pkgBig, 53, '3.0.0', undefined, Buffer.alloc(2 * 1024 * 1024, 9));
});

after(async () => {
  for (const a of agents) await a.close();
  rmSync(root, { recursive: true, force: true });
});

/** An agent's console: the lines so far, and a way to wait for one (a real signal, not a sleep). */
class AgentLog {
  readonly lines: string[] = [];
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  push = (line: string): void => {
    this.lines.push(line);
    for (const w of this.waiters.filter((x) => x.pattern.test(line))) w.resolve(line);
    this.waiters = this.waiters.filter((x) => !x.pattern.test(line));
  };
  /** The first line so far matching `pattern`, or the next one printed. */
  line(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }
  /** The pairing code printed last. */
  code(): string {
    return this.lines.map((l) => /^Pairing code: (\d+)/.exec(l)?.[1]).filter((c) => c !== undefined).at(-1)!;
  }
}

interface TestAgent {
  readonly agent: RunningAgent;
  readonly dataDir: string;
  readonly studioData: string;
  readonly target: PiTarget;
  readonly log: AgentLog;
}

async function startTestAgent(dataDir: string, uploadPace: UploadPacePolicy, log: AgentLog = new AgentLog()): Promise<RunningAgent> {
  const agent = await startAgent(loadOrCreateTlsIdentity(dataDir), {
    dataDir,
    host: '127.0.0.1',
    port: 0,
    maxUploadBytes: 64 * 1024 * 1024,
    uploadPace,
    pairing: DEFAULT_PAIRING_POLICY,
    agentVersion: 'test',
    log: log.push,
  });
  agents.push(agent);
  return agent;
}

/** A fresh agent on 127.0.0.1 and a studio paired with it. */
async function pairedAgent(name: string, uploadPace: UploadPacePolicy = DEFAULT_UPLOAD_PACE): Promise<TestAgent> {
  const log = new AgentLog();
  const dataDir = join(root, name, 'agent');
  const agent = await startTestAgent(dataDir, uploadPace, log);
  const studioData = join(root, name, 'studio');
  const target = await pairPi(studioData, { host: '127.0.0.1', port: agent.port }, log.code());
  return { agent, dataDir, studioData, target, log };
}

/** The same agent data and certificate on a new port, as after a restart; the target follows it. */
async function restarted(a: TestAgent): Promise<{ agent: RunningAgent; target: PiTarget }> {
  await a.agent.close();
  const agent = await startTestAgent(a.dataDir, DEFAULT_UPLOAD_PACE);
  return { agent, target: { ...a.target, port: agent.port } };
}

const TEST_PACKAGE_FILES = ['model.json', 'model.int8.onnx', 'int8-graph.json'];

/**
 * A format-2 manifest of exactly `names` in `pkgDir`, signed with the studio's key, made by hand: what a
 * paired studio's key holder can send, past every check the studio's own signing makes.
 */
function handSigned(studioData: string, pkgDir: string, m: { readonly version: string; readonly sequence?: number; readonly modelId?: string; readonly names?: readonly string[] }): SignedManifest {
  const files = (m.names ?? TEST_PACKAGE_FILES).map((name) => {
    const bytes = readFileSync(join(pkgDir, name));
    return { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  const body = { modelId: m.modelId ?? 'pi-test-model', version: m.version, files };
  // Without a sequence: format 1, as a studio from before deploy sequences signed.
  const manifest = (m.sequence === undefined ? { format: LEGACY_MANIFEST_FORMAT, ...body } : { format: MANIFEST_FORMAT, ...body, sequence: m.sequence, allowDowngrade: false }) as ModelManifest;
  return signManifest(manifest, loadOrCreateStudioKey(studioData).privateKey);
}

const diskState = (dataDir: string) => ({ active: readFileSync(join(dataDir, 'active.json'), 'utf8'), models: readdirSync(join(dataDir, 'models')).sort() });

/** An upload body that sends its first `firstBytes`, then whatever `rest` does with the remaining chunks. */
function shapedBody(body: UploadBody, firstBytes: number, rest: (chunk: Buffer) => Promise<void>, onFirstSent?: () => void): UploadBody {
  return {
    length: body.length,
    stream: () =>
      Readable.from(
        (async function* () {
          let sent = 0;
          for await (const c of body.stream()) {
            const chunk = c as Buffer;
            for (let at = 0; at < chunk.length; ) {
              if (sent >= firstBytes) {
                const piece = chunk.subarray(at, at + 256);
                await rest(piece);
                yield piece;
                at += piece.length;
                sent += piece.length;
              } else {
                const piece = chunk.subarray(at, at + Math.min(chunk.length - at, firstBytes - sent));
                yield piece;
                at += piece.length;
                sent += piece.length;
                if (sent >= firstBytes) onFirstSent?.();
              }
            }
          }
        })(),
      ),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


function codeOf(res: PiResponse): string {
  return (res.body as { code?: string } | undefined)?.code ?? `HTTP ${res.status} ${JSON.stringify(res.body)}`;
}

/** The pairing timers are unref'd (they must not keep an agent alive); a test waiting on them needs a ref'd one. */
async function keepingAlive<T>(fn: () => Promise<T>): Promise<T> {
  const alive = setInterval(() => undefined, 1000);
  try {
    return await fn();
  } finally {
    clearInterval(alive);
  }
}

test('5 wrong codes spread over more than a minute burn the code; a fresh one follows the lockout, which doubles per burn in a row', () => keepingAlive(async () => {
  let now = 5_000_000;
  const shown: string[] = [];
  let nextShown: (() => void) | undefined;
  const announced = () => new Promise<void>((r) => (nextShown = r));
  const dir = mkdtempSync(join(root, 'pairing-'));
  const key = loadOrCreateStudioKey(join(root, 'pairing-studio')).publicKeyPem;
  // Real timers show the next code; the injected clock decides expiry and lockout.
  const p = new Pairing(dir, { ...DEFAULT_PAIRING_POLICY, lockoutMs: 1000, maxLockoutMs: 3000 }, (c) => (shown.push(c), nextShown?.()), () => now);
  p.start();
  try {
    const first = shown.at(-1)!;
    const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
    // 4 guesses a minute used to be never locked out: 5 spread over 80 s now burn the code.
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(p.attempt(wrong(first), key), { ok: false, reason: 'wrong_code' });
      now += 20_000;
    }
    assert.deepEqual(p.attempt(wrong(first), key), { ok: false, reason: 'wrong_code' }, 'the fifth wrong code, 80 s after the first');
    assert.deepEqual(p.attempt(first, key), { ok: false, reason: 'locked', retryAfterSeconds: 1 }, 'even the right code is refused while locked');
    await announced();
    now += 1000;
    const second = shown.at(-1)!;
    assert.equal(shown.length, 2);
    // The burned code stays dead (one of the five wrong codes that burn the second one).
    const guesses = [second !== first ? first : wrong(second), ...Array.from({ length: 4 }, () => wrong(second))];
    for (const g of guesses) assert.deepEqual(p.attempt(g, key), { ok: false, reason: 'wrong_code' });
    // The second burn in a row locks twice as long, the third hits the cap.
    assert.deepEqual(p.attempt(second, key), { ok: false, reason: 'locked', retryAfterSeconds: 2 });
    await announced();
    now += 2000;
    const third = shown.at(-1)!;
    for (let i = 0; i < 5; i++) p.attempt(wrong(third), key);
    assert.deepEqual(p.attempt(third, key), { ok: false, reason: 'locked', retryAfterSeconds: 3 }, 'the third lockout would be 4 s: capped at 3 s');
  } finally {
    p.stop();
  }
  // A successful pairing resets the escalation.
  const r = new Pairing(mkdtempSync(join(root, 'pairing-')), { ...DEFAULT_PAIRING_POLICY, lockoutMs: 1000, maxLockoutMs: 3000 }, (c) => (shown.push(c), nextShown?.()), () => now);
  r.start();
  try {
    const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
    for (let i = 0; i < 5; i++) r.attempt(wrong(shown.at(-1)!), key);
    await announced();
    now += 1000;
    assert.equal(r.attempt(shown.at(-1)!, key).ok, true);
    const next = shown.at(-1)!;
    for (let i = 0; i < 5; i++) r.attempt(wrong(next), key);
    assert.deepEqual(r.attempt(next, key), { ok: false, reason: 'locked', retryAfterSeconds: 1 });
  } finally {
    r.stop();
  }
}));

test('pairing codes expire, and waiting for a new code buys no extra guesses', () => keepingAlive(async () => {
  let now = 9_000_000;
  const shown: string[] = [];
  let nextShown: (() => void) | undefined;
  const dir = mkdtempSync(join(root, 'pairing-'));
  const key = loadOrCreateStudioKey(join(root, 'pairing-studio')).publicKeyPem;
  const p = new Pairing(dir, { ...DEFAULT_PAIRING_POLICY, codeTtlMs: 300 }, (c) => (shown.push(c), nextShown?.()), () => now);
  p.start();
  try {
    const first = shown.at(-1)!;
    const wrong = first === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) assert.equal(p.attempt(wrong, key).ok, false);
    now += 301;
    assert.deepEqual(p.attempt(first, key), { ok: false, reason: 'wrong_code' }, 'the right code, after its 300 ms, is refused');
    // That was the fifth wrong code: the expired code's count carried over, so pairing is now locked.
    assert.equal((p.attempt(first, key) as { reason: string }).reason, 'locked');
    // A code that expires with fewer failures hands its count to the next one.
    const q = new Pairing(mkdtempSync(join(root, 'pairing-')), { ...DEFAULT_PAIRING_POLICY, codeTtlMs: 300 }, (c) => (shown.push(c), nextShown?.()), () => now);
    q.start();
    try {
      const a = shown.at(-1)!;
      for (let i = 0; i < 4; i++) q.attempt(a === '000000' ? '111111' : '000000', key);
      // Code a expires on the injected clock; the agent's real timer then shows b, valid for 300 ms from
      // this `now` (the clock stays put from here on, so b is still valid at the guesses below).
      now += 301;
      await new Promise<void>((r) => (nextShown = r));
      const b = shown.at(-1)!;
      assert.notEqual(b, undefined);
      assert.deepEqual(q.attempt(b === '000000' ? '111111' : '000000', key), { ok: false, reason: 'wrong_code' });
      // b is right and unexpired, so only the carried-over count can refuse it: the one wrong guess was the fifth.
      assert.equal((q.attempt(b, key) as { reason: string }).reason, 'locked', 'one wrong guess at the new code is the fifth in all');
    } finally {
      q.stop();
    }
  } finally {
    p.stop();
  }
}));

test('a second upload (or a rollback) while one is in flight is answered 409 busy at once; the first then completes', async () => {
  // A pace window far longer than this test: the held upload below must not be cut for being slow,
  // however long the machine takes over the steps in between.
  const a = await pairedAgent('busy', { minBytesPerSecond: 16 * 1024, windowMs: 60_000 });
  const first = uploadBody(pkgV1, await signForPi(a.studioData, a.target, pkgV1));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // Half the body, then nothing until the test says so.
  const held = shapedBody(first, Math.floor(first.length / 2), () => gate);
  const inFlight = piRequest(a.target, 'POST', '/models', { body: held, timeoutMs: 120_000 });
  // The agent prints this right after the upload took the deploy slot.
  await a.log.line(/^receiving an upload of \d+ bytes$/);

  const t0 = performance.now();
  const second = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV2, await signForPi(a.studioData, a.target, pkgV2)) });
  assert.equal(second.status, 409);
  assert.equal(codeOf(second), 'busy');
  assert.match((second.body as { error: string }).error, /^busy: another deploy to this device is in progress; try again when it finishes$/);
  await expectPiError(deployToPi(a.studioData, a.target, pkgV2), 'busy', /is busy: another deploy or rollback .* is in progress there\. Try again when it finishes/);
  await expectPiError(rollbackPi(a.target), 'busy', /is busy/);
  const waited = performance.now() - t0;
  // The first upload waits for release() below, so any answer at all means it did not queue behind it.
  assert.ok(waited < 15_000, `the refusals came at once (${waited.toFixed(0)} ms), not after the first upload`);

  release();
  const done = await inFlight;
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal((await piInfo(a.target)).model.active?.version, '1.0.0');
  // The slot is free again.
  const r = await deployToPi(a.studioData, a.target, pkgV2);
  assert.equal(r.model.version, '2.0.0');
});

test('an upload under the pace floor is cut with a reason the studio shows, and the slot is free at once after', async () => {
  // 16 KB/s over 0.5 s windows: an honest upload here (tens of KB in a few ms) is far above it, even on a loaded machine.
  const a = await pairedAgent('slow', { minBytesPerSecond: 16 * 1024, windowMs: 500 });
  await deployToPi(a.studioData, a.target, pkgV1);
  const before = diskState(a.dataDir);
  const body = uploadBody(pkgBig, await signForPi(a.studioData, a.target, pkgBig));

  // A drip: 256 bytes every 50 ms (5 KB/s) after the first 8 KB.
  const t0 = performance.now();
  const dripped = await piRequest(a.target, 'POST', '/models', { body: shapedBody(body, 8192, () => sleep(50)), timeoutMs: 30_000 });
  const dripMs = performance.now() - t0;
  assert.equal(dripped.status, 408, JSON.stringify(dripped.body));
  assert.equal(codeOf(dripped), 'upload_too_slow');
  assert.match((dripped.body as { error: string }).error, /too slow: \d+\.\d KB\/s over the last 0\.5 s, under the 16 KB\/s this agent requires .*nothing changed/);
  // The whole drip would take minutes (2 MB at 5 KB/s).
  assert.ok(dripMs > 450 && dripMs < 15_000, `cut after one window, not at once and not minutes later (${dripMs.toFixed(0)} ms)`);
  const shown = agentRefusal(a.target, dripped.status, dripped.body);
  assert.equal(shown.kind, 'upload_too_slow');
  assert.match(shown.message, /stopped the upload because it arrived too slowly \(\d+\.\d KB\/s .*\)\. The previous model stays active\. Check the network link/);

  // A fast first megabyte buys no silence afterwards: the window slides.
  let stalledAt = 0;
  const stall = new Promise<void>(() => undefined);
  const stalled = await piRequest(a.target, 'POST', '/models', { body: shapedBody(body, 1024 * 1024, () => stall, () => (stalledAt = performance.now())), timeoutMs: 30_000 });
  const stallMs = performance.now() - stalledAt;
  assert.equal(codeOf(stalled), 'upload_too_slow');
  assert.ok(stallMs < 15_000, `a stall after 1 MB is cut within about one window (${stallMs.toFixed(0)} ms; the average since the start would allow over a minute)`);

  assert.deepEqual(diskState(a.dataDir), before);
  assert.equal(readdirSync(join(a.dataDir, 'staging')).length, 0);
  const r = await deployToPi(a.studioData, a.target, pkgV2);
  assert.equal(r.model.version, '2.0.0', 'the next deploy goes through at once');
});

test('a replayed older package is refused (downgrade_refused, both versions named); a chosen downgrade and rollback still work', async () => {
  const a = await pairedAgent('downgrade');
  const key = loadOrCreateStudioKey(a.studioData).privateKey;

  // An old studio (format 1, no sequence) still deploys a model this agent has no sequence for.
  const legacyPkg = join(root, 'pkgs', 'legacy');
  writeTestPackage(legacyPkg, 54, '1.0.0', 'legacy-model');
  const legacy = await piRequest(a.target, 'POST', '/models', { body: uploadBody(legacyPkg, await signPackage(legacyPkg, key)) });
  assert.equal(legacy.status, 200, JSON.stringify(legacy.body));

  const signedV1 = await signForPi(a.studioData, a.target, pkgV1);
  assert.equal(signedV1.manifest.format, 'tinym2-model-manifest/2');
  const v1 = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV1, signedV1) });
  assert.equal(v1.status, 200, JSON.stringify(v1.body));
  await deployToPi(a.studioData, a.target, pkgV2);
  const info = await piInfo(a.target);
  assert.equal(info.model.active?.version, '2.0.0');
  const reached = info.deploySequences?.['pi-test-model'];
  assert.equal(reached?.version, '2.0.0');
  assert.ok(signedV1.manifest.format === 'tinym2-model-manifest/2' && reached.sequence > signedV1.manifest.sequence);
  const before = diskState(a.dataDir);

  // The exact bytes of the earlier deploy, sent again.
  const replay = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV1, signedV1) });
  assert.equal(replay.status, 409);
  assert.equal(codeOf(replay), 'downgrade_refused');
  const replayText = (replay.body as { error: string }).error;
  assert.match(replayText, new RegExp(`pi-test-model 1\\.0\\.0 carries deploy sequence ${signedV1.manifest.sequence}, not above the ${reached.sequence} of pi-test-model 2\\.0\\.0`));
  assert.match(replayText, /another studio deployed pi-test-model meanwhile, or this is an old signed package sent again/);
  assert.equal(agentRefusal(a.target, replay.status, replay.body).kind, 'downgrade_refused');

  // A fresh deploy of the older version is refused too, unless the person chose it.
  // In words for both the CLI and the Devices page (the agent's own hint names the manifest field).
  const older = await expectPiError(
    deployToPi(a.studioData, a.target, pkgV1),
    'older_version',
    /refused the model: pi-test-model 1\.0\.0 is older than pi-test-model 2\.0\.0, which runs here; nothing changed\. To return to the previous model, roll back \(tinym2 rollback --to pi:\/\/127\.0\.0\.1:\d+, or Roll back on the Devices page\); to install this older version anyway, deploy it with --allow-downgrade \(tinym2 deploy\) or choose Install older version \(Devices page\)\.$/,
  );
  assert.doesNotMatch(older.message, /allowDowngrade/);
  // The choice is signed: setting it on a signed manifest breaks the signature.
  const fresh = await signForPi(a.studioData, a.target, pkgV1);
  const forged = { ...fresh, manifest: { ...fresh.manifest, allowDowngrade: true } };
  const forgedRes = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV1, forged) });
  assert.equal(forgedRes.status, 403);
  // An old studio's unsequenced package can no longer be told from a replay once a current studio deployed this model.
  const oldStudio = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV2, await signPackage(pkgV2, key)) });
  assert.equal(codeOf(oldStudio), 'downgrade_refused');
  assert.match((oldStudio.body as { error: string }).error, /without a deploy sequence .*Update TinyM2 Studio/);
  assert.deepEqual(diskState(a.dataDir), before, 'no refusal changed anything');

  // The record survives a restart of the agent (same data, same certificate, a new port).
  const { target } = await restarted(a);
  const again = await piRequest(target, 'POST', '/models', { body: uploadBody(pkgV1, signedV1) });
  assert.equal(codeOf(again), 'downgrade_refused');

  // Installing the older version on purpose: signed with allowDowngrade and a fresh sequence.
  const chosen = await deployToPi(a.studioData, target, pkgV1, { allowDowngrade: true });
  assert.equal(chosen.model.version, '1.0.0');
  assert.equal(chosen.previous?.version, '2.0.0');
  // Rollback is not an upload: it goes back and forth as before.
  assert.equal((await rollbackPi(target)).active.version, '2.0.0');
  assert.equal((await rollbackPi(target)).active.version, '1.0.0');
  // And a normal deploy of the newer version goes on from there.
  assert.equal((await deployToPi(a.studioData, target, pkgV2)).model.version, '2.0.0');
});

test('model.json may name only files of the signed manifest, and a current studio signs no file model.json does not name', async () => {
  const a = await pairedAgent('names');
  const pkg = join(root, 'pkgs', 'escape');
  writeTestPackage(pkg, 55, '1.0.0');
  const meta = JSON.parse(readFileSync(join(pkg, 'model.json'), 'utf8')) as { files: Record<string, string>; sha256?: unknown };
  for (const name of ['../agent/tls/key.pem', 'not-sent.onnx']) {
    writeFileSync(join(pkg, 'model.json'), JSON.stringify({ ...meta, files: { ...meta.files, int8Onnx: name } }));
    // Signed by hand: the studio's own signing would refuse this model.json before sending anything.
    const res = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkg, handSigned(a.studioData, pkg, { version: '1.0.0', sequence: 1 })) });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(codeOf(res), 'package_invalid');
    assert.match((res.body as { error: string }).error, new RegExp(`files\\.int8Onnx' names "${name.replace(/[.]/g, '\\.')}", which is not one of the package's signed files`));
  }
  assert.equal((await piInfo(a.target)).model.active, null);

  // And a current studio's upload carries only the files model.json names: anything else signed is refused.
  writeFileSync(join(pkg, 'model.json'), JSON.stringify(meta));
  writeFileSync(join(pkg, 'recording.wav'), Buffer.alloc(2048, 5));
  const names = [...TEST_PACKAGE_FILES, 'recording.wav'];
  const extra = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkg, handSigned(a.studioData, pkg, { version: '1.0.0', sequence: 1, names })) });
  assert.equal(extra.status, 422, JSON.stringify(extra.body));
  assert.match((extra.body as { error: string }).error, /the upload carries recording\.wav, which model\.json does not name in 'files'/);
  assert.equal((await piInfo(a.target)).model.active, null);
  // A studio from before deploy sequences signed every file in the folder; its format-1 uploads still go through.
  const legacy = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkg, handSigned(a.studioData, pkg, { version: '1.0.0', names })) });
  assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
});

test('versions compare as dotted numbers; free-form versions are never called older', () => {
  assert.ok(compareVersions('1.10.0', '1.9.2')! > 0);
  assert.ok(compareVersions('1.2', '1.2.1')! < 0);
  assert.equal(compareVersions('2.0', '2.0.0'), 0);
  assert.equal(compareVersions('2024-11-rc1', '1.0.0'), undefined);
});

test('deploy sequences stop at 2^40: the agent refuses more, a Pi at the maximum is named with the way out, and the studio counter is not written', async () => {
  const a = await pairedAgent('ceiling');
  for (const sequence of [Number.MAX_SAFE_INTEGER, MAX_DEPLOY_SEQUENCE + 1]) {
    const res = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV1, handSigned(a.studioData, pkgV1, { version: '1.0.0', sequence })) });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(codeOf(res), 'bad_request');
    assert.match((res.body as { error: string }).error, /^upload header field 'manifest\.sequence': a deploy sequence is at most 2\^40 \(1099511627776\)/);
  }
  assert.equal((await piInfo(a.target)).model.active, null);

  // A paired studio's key holder can still sign the maximum itself; it is accepted, and ends deploys of that model id.
  const atMax = await piRequest(a.target, 'POST', '/models', { body: uploadBody(pkgV1, handSigned(a.studioData, pkgV1, { version: '1.0.0', sequence: MAX_DEPLOY_SEQUENCE })) });
  assert.equal(atMax.status, 200, JSON.stringify(atMax.body));
  const counter = deploySequencesPath(a.studioData);
  assert.equal(existsSync(counter), false);
  await expectPiError(
    deployToPi(a.studioData, a.target, pkgV2),
    'deploy_sequence',
    /has recorded deploy sequence 1099511627776 for pi-test-model, the largest there is \(2\^40\), so it accepts no further deploy of pi-test-model\. .*check which studios are paired with it\. .*remove the "pi-test-model" entry under "sequences" in active\.json in its data folder/,
  );
  assert.equal(existsSync(counter), false, 'nothing was reserved: the next deploy is not broken by this one');
  // Other model ids deploy as before.
  const other = join(root, 'pkgs', 'other-model');
  writeTestPackage(other, 58, '1.0.0', 'other-model');
  assert.equal((await deployToPi(a.studioData, a.target, other)).model.id, 'other-model');

  // A damaged counter file is named, with the fix; removing it is enough.
  writeFileSync(counter, '{ "agents": ');
  await expectPiError(deployToPi(a.studioData, a.target, other), 'deploy_sequence', /deploy counter .*pi-deploy-sequences\.json is not valid JSON .*; remove the file and deploy again/);
  // What a studio without the bound wrote after a Pi reported Number.MAX_SAFE_INTEGER.
  writeFileSync(counter, JSON.stringify({ agents: { [a.agent.agentId]: Number.MAX_SAFE_INTEGER + 1 } }));
  await expectPiError(deployToPi(a.studioData, a.target, other), 'deploy_sequence', /deploy counter .*pi-deploy-sequences\.json is damaged: field 'agents\.[0-9a-f-]+': a deploy sequence is at most 2\^40/);
  rmSync(counter);

  // The way out the message gives: stop the agent, remove that model's entry, start it again.
  await a.agent.close();
  const activePath = join(a.dataDir, 'active.json');
  const active = JSON.parse(readFileSync(activePath, 'utf8')) as { sequences: Record<string, unknown>; sequencedOnly: boolean };
  assert.equal(active.sequencedOnly, true);
  delete active.sequences['pi-test-model'];
  writeFileSync(activePath, JSON.stringify(active));
  const agent = await startTestAgent(a.dataDir, DEFAULT_UPLOAD_PACE);
  const target: PiTarget = { ...a.target, port: agent.port };
  assert.equal((await deployToPi(a.studioData, target, pkgV2)).model.version, '2.0.0');
  // Clearing one entry does not let unsequenced uploads back in.
  const legacy = await piRequest(target, 'POST', '/models', { body: uploadBody(pkgV1, await signPackage(pkgV1, loadOrCreateStudioKey(a.studioData).privateKey)) });
  assert.equal(codeOf(legacy), 'downgrade_refused');
});

test("the studio's deploy counter is checked before it is written, and its errors name the file and the Pi", () => {
  const studio = join(root, 'counter-unit');
  mkdirSync(join(studio, 'devices'), { recursive: true });
  const path = deploySequencesPath(studio);
  const request = { agentId: 'agent-1', pi: 'pi://10.0.0.5:8443', modelId: 'm', reported: 7 };
  const deploySequenceError = (text: RegExp) => (e: unknown) => e instanceof PiDeviceError && e.kind === 'deploy_sequence' && text.test(e.message);

  assert.equal(nextDeploySequence(studio, request), 8);
  assert.equal(nextDeploySequence(studio, request), 9, 'above its own last number, whatever the Pi reports');
  const atMax = JSON.stringify({ agents: { 'agent-1': MAX_DEPLOY_SEQUENCE } });
  writeFileSync(path, atMax);
  assert.throws(() => nextDeploySequence(studio, request), deploySequenceError(/deploy counter for the Pi at pi:\/\/10\.0\.0\.5:8443 \(agent agent-1\) in .*pi-deploy-sequences\.json is at 1099511627776, the largest there is/));
  assert.equal(readFileSync(path, 'utf8'), atMax, 'nothing written');
  writeFileSync(path, JSON.stringify({ agents: { 'agent-1': 3 } }));
  assert.throws(() => nextDeploySequence(studio, { ...request, reported: MAX_DEPLOY_SEQUENCE }), deploySequenceError(/The Pi at pi:\/\/10\.0\.0\.5:8443 has recorded deploy sequence 1099511627776 for m/));
  assert.equal(nextDeploySequence(studio, { ...request, reported: MAX_DEPLOY_SEQUENCE - 1 }), MAX_DEPLOY_SEQUENCE, 'the maximum itself can still be signed');
  writeFileSync(path, '[]');
  assert.throws(() => nextDeploySequence(studio, request), deploySequenceError(/pi-deploy-sequences\.json is damaged: field '\(root\)'/));
});

test('once the agent has activated a sequenced deploy, it takes no unsequenced (format 1) upload, of any model id', async () => {
  const a = await pairedAgent('legacy-replay');
  const key = loadOrCreateStudioKey(a.studioData).privateKey;
  // Captured on the network before the studio was updated: a format-1 upload of another model.
  const modelX = join(root, 'pkgs', 'model-x');
  writeTestPackage(modelX, 59, '1.0.0', 'model-x');
  const captured = uploadBody(modelX, await signPackage(modelX, key));
  const first = await piRequest(a.target, 'POST', '/models', { body: captured });
  assert.equal(first.status, 200, 'an old studio still deploys to a new agent until a current studio has');

  await deployToPi(a.studioData, a.target, pkgV1);
  const before = diskState(a.dataDir);
  assert.equal(JSON.parse(before.active).sequencedOnly, true);
  for (const when of ['running', 'after a restart']) {
    const target = when === 'running' ? a.target : (await restarted(a)).target;
    const replay = await piRequest(target, 'POST', '/models', { body: captured });
    assert.equal(replay.status, 409, `${when}: ${JSON.stringify(replay.body)}`);
    assert.equal(codeOf(replay), 'downgrade_refused');
    assert.match((replay.body as { error: string }).error, /model-x 1\.0\.0 comes without a deploy sequence .* this device has taken sequenced deploys .* Update TinyM2 Studio and deploy again; nothing changed/);
    assert.equal((await piInfo(target)).model.active?.id, 'pi-test-model');
  }
  assert.deepEqual(diskState(a.dataDir), before);
});

test("the pace floor counts only time spent waiting on the client, never the device's own slow writes", async () => {
  const dataDir = join(root, 'slow-disk', 'agent');
  mkdirSync(dataDir, { recursive: true });
  let writes = 0;
  // Each write takes 400 ms, two pace windows: counted against the client, the first would cut the upload.
  const slowDisk: UploadDisk = {
    async create(path) {
      const fh = await open(path, 'wx', 0o644);
      return {
        write: async (chunk: Buffer) => {
          writes++;
          await sleep(400);
          return fh.write(chunk);
        },
        sync: () => fh.sync(),
        close: () => fh.close(),
      };
    },
  };
  const store = new ModelStore(dataDir, () => undefined, slowDisk);
  await store.init();
  const studio = loadOrCreateStudioKey(join(root, 'slow-disk', 'studio'));
  const body = uploadBody(pkgV1, await signPackage(pkgV1, studio.privateKey, { sequence: 1, allowDowngrade: false }));
  const t0 = performance.now();
  // The client side is memory: it always has the next bytes ready the moment the store asks.
  const r = await store.receive(body.stream(), body.length, studio.publicKeyPem, { maxUploadBytes: 64 * 1024 * 1024, pace: { minBytesPerSecond: 16 * 1024, windowMs: 200 } });
  assert.equal(r.changed, true);
  assert.ok(writes >= TEST_PACKAGE_FILES.length && performance.now() - t0 >= writes * 400, `the writes really were slow (${writes} writes)`);
});

test('a deploy signs and sends model.json and the files it names, nothing else in the folder; files in subfolders are refused before anything is sent', async () => {
  const a = await pairedAgent('stray');
  const pkg = join(root, 'pkgs', 'stray');
  writeTestPackage(pkg, 56, '1.0.0');
  // SECURITY.md: recordings are never part of a deploy, even one someone left in the package folder.
  writeFileSync(join(pkg, 'patient-0042.wav'), Buffer.alloc(4096, 1));
  writeFileSync(join(pkg, 'notes.txt'), 'left here');
  await deployToPi(a.studioData, a.target, pkg);
  const dir = join(a.dataDir, 'models', (await piInfo(a.target)).model.active!.dir);
  assert.deepEqual(readdirSync(dir).sort(), ['.signed-manifest.json', ...TEST_PACKAGE_FILES].sort());
  const signed = JSON.parse(readFileSync(join(dir, '.signed-manifest.json'), 'utf8')) as SignedManifest;
  assert.deepEqual(signed.manifest.files.map((f) => f.name).sort(), [...TEST_PACKAGE_FILES].sort());

  // A Pi address where nothing listens: had the studio sent anything, it would fail as unreachable.
  const closed: TcpServer = createTcpServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const nowhere: PiTarget = { ...a.target, port: (closed.address() as { port: number }).port };
  await new Promise<void>((r) => closed.close(() => r()));
  const move = (from: string, name: string) => {
    const meta = JSON.parse(readFileSync(join(from, 'model.json'), 'utf8')) as { files: Record<string, string>; sha256: Record<string, string> };
    const bytes = readFileSync(join(from, 'model.int8.onnx'));
    rmSync(join(from, 'model.int8.onnx'));
    mkdirSync(dirname(join(from, name)), { recursive: true });
    writeFileSync(join(from, name), bytes);
    const sha256 = { ...meta.sha256, [name]: createHash('sha256').update(bytes).digest('hex') };
    delete sha256['model.int8.onnx'];
    writeFileSync(join(from, 'model.json'), JSON.stringify({ ...meta, files: { ...meta.files, int8Onnx: name }, sha256 }));
  };
  const counter = readFileSync(deploySequencesPath(a.studioData), 'utf8');
  const nested = join(root, 'pkgs', 'nested');
  writeTestPackage(nested, 57, '2.0.0');
  move(nested, 'onnx/model.int8.onnx');
  await expectPiError(
    deployToPi(a.studioData, nowhere, nested),
    'package_not_deployable',
    /this package keeps files in subfolders, which a Pi deploy does not carry: files\.int8Onnx 'onnx\/model\.int8\.onnx'\. Move those files next to model\.json/,
  );
  const spaced = join(root, 'pkgs', 'spaced');
  writeTestPackage(spaced, 57, '2.0.0');
  move(spaced, 'model v2.onnx');
  await expectPiError(deployToPi(a.studioData, nowhere, spaced), 'package_not_deployable', /files\.int8Onnx 'model v2\.onnx' cannot be sent to a device, whose file names are letters, digits, dot, dash and underscore/);
  assert.equal(readFileSync(deploySequencesPath(a.studioData), 'utf8'), counter, 'no deploy sequence was reserved for them');
  assert.equal(a.log.lines.filter((l) => l.startsWith('receiving an upload')).length, 1, 'only the first deploy reached the agent');
});

/**
 * A TCP relay to the agent that, when its `holdAt`-th connection arrives, runs `meanwhile` before passing
 * that connection on. TLS goes through untouched, so the studio still sees the agent's pinned certificate.
 */
async function relayWithPause(agentPort: number, holdAt: number, meanwhile: () => Promise<unknown>): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let count = 0;
  const server = createTcpServer((client) => {
    const n = ++count;
    client.pause();
    void (n === holdAt ? meanwhile() : Promise.resolve()).then(() => {
      const upstream = tcpConnect(agentPort, '127.0.0.1');
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('error', end);
        s.on('close', end);
      }
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('two studios deploying the same model at once: the one whose sequence was taken meanwhile signs again once, and goes through', async () => {
  const a = await pairedAgent('two-studios');
  const studioB = join(root, 'two-studios', 'studio-b');
  const targetB = await pairPi(studioB, { host: '127.0.0.1', port: a.agent.port }, a.log.code());
  // Studio A's connections: 1 GET /info, 2 POST /models, (after the refusal) 3 GET /info, 4 POST /models, 5 POST /infer.
  // Studio B deploys the same model between A's /info and A's upload, so both signed sequence 1.
  let bDeployed = false;
  const relay = await relayWithPause(a.agent.port, 2, async () => {
    await deployToPi(studioB, targetB, pkgV1);
    bDeployed = true;
  });
  try {
    const details: string[] = [];
    const r = await deployToPi(a.studioData, { ...a.target, port: relay.port }, pkgV2, { onProgress: (stage, _f, detail) => stage === 'sign' && details.push(detail) });
    assert.equal(bDeployed, true);
    assert.equal(r.model.version, '2.0.0');
    assert.equal(r.previous?.version, '1.0.0', "studio B's deploy came first");
    assert.equal(relay.connections(), 5, 'one retry: a fresh /info and a second upload');
    assert.ok(details.some((d) => /another studio deployed this model to the Pi meanwhile: signing again/.test(d)), details.join(' | '));
    assert.equal((await piInfo(a.target)).deploySequences?.['pi-test-model']?.sequence, 2);
  } finally {
    await relay.close();
  }
});
