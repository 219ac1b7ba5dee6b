import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { signPackage } from '../../../src-main/devices/pi/deployPackage';
import { goldenInputs } from '../../../src-main/devices/pi/goldenInput';
import { pairedTarget, deployToPi, inferOnPi, pairPi, piInfo, rollbackPi } from '../../../src-main/devices/pi/piClient';
import { piRequest, type PiTarget } from '../../../src-main/devices/pi/piConnection';
import { loadOrCreateStudioKey } from '../../../src-main/devices/pi/studioKey';
import { uploadBody } from '../../../src-main/devices/pi/uploadFormat';
import { openModelSession } from '../../../src-main/infer/modelSession';
import { writeModelPackage } from '../../../src-main/models/writePackage';
import type { ModelPackageMeta } from '../../../src-main/models/packageMeta';
import { expectPiError, signForPi, startAgentProcess, writeTestPackage, type AgentProcess } from './piFixture';

const root = mkdtempSync(join(tmpdir(), 'tm2-pi-agent-'));
const agentData = join(root, 'agent');
const studioData = join(root, 'studio');
const pkgV1 = join(root, 'pkgs', 'v1');
const pkgV2 = join(root, 'pkgs', 'v2');
let agent: AgentProcess;
let target: PiTarget;
let metaV1: ModelPackageMeta;


/** The agent's own view of what is active, from disk, to prove refused requests changed nothing. */
const diskState = () => ({ active: readFileSync(join(agentData, 'active.json'), 'utf8'), models: readdirSync(join(agentData, 'models')).sort() });

async function answersWith(meta: ModelPackageMeta, pkgDir: string): Promise<void> {
  const inputs = goldenInputs(meta, 7);
  const remote = await inferOnPi(target, meta.modalities.map((m) => m.name), inputs);
  const local = await openModelSession(pkgDir);
  const expected = Array.from(await local.run(inputs));
  await local.release();
  assert.equal(remote.model.version, meta.version);
  assert.deepEqual(remote.output, expected, 'the Pi computes exactly what onnxruntime computes here');
}

before(async () => {
  metaV1 = writeTestPackage(pkgV1, 1, '1.0.0');
  writeTestPackage(pkgV2, 2, '2.0.0');
  agent = await startAgentProcess(agentData, 0, ['--pair-lockout-seconds', '2']);
});

after(async () => {
  await agent?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('pairing: wrong codes are refused, then pairing locks (even the right code), and a new code follows the lockout', async () => {
  const addr = { host: '127.0.0.1', port: agent.port };
  const right = agent.code()!;
  assert.match(right, /^\d{6}$/);
  const wrong = right === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) await expectPiError(pairPi(studioData, addr, wrong), 'pairing_code_wrong', /wrong or expired/);
  await expectPiError(pairPi(studioData, addr, right), 'pairing_locked', /Wait \d+ s/);
  const fresh = await agent.nextCode();
  assert.notEqual(fresh, undefined);
  // The burned code stays dead after the lockout.
  if (fresh !== right) await expectPiError(pairPi(studioData, addr, right), 'pairing_code_wrong');
  const usedCode = agent.code()!;
  const pi = await pairPi(studioData, addr, usedCode, { expectedFingerprint: agent.fingerprint256, name: 'bench Pi' });
  assert.equal(pi.fingerprint256, agent.fingerprint256);
  const stored = JSON.parse(readFileSync(join(studioData, 'devices', 'pis.json'), 'utf8')) as { pis: { token: string; agentId: string }[] };
  assert.equal(stored.pis.length, 1);
  assert.equal(stored.pis[0]!.agentId, pi.agentId);
  assert.ok(pi.token.length >= 32);
  // One-time: the code just used no longer pairs.
  await expectPiError(pairPi(join(root, 'studio-other'), addr, usedCode), 'pairing_code_wrong');
  target = pairedTarget(studioData, addr);
  const info = await piInfo(target);
  assert.equal(info.agentId, pi.agentId);
  assert.equal(info.model.active, null);
  assert.ok(info.cpu.cores >= 1 && info.memory.totalBytes > 0 && info.uptimeSeconds.agent >= 0);
});

test('deploy signs, uploads, activates and proves the Pi answers exactly like this computer; the previous model is kept', async () => {
  await expectPiError(inferOnPi(target, ['cough', 'speech'], goldenInputs(metaV1)), 'no_model');
  const stages = new Set<string>();
  let lastUpload = 0;
  const r1 = await deployToPi(studioData, target, pkgV1, { onProgress: (s, f) => (stages.add(s), s === 'upload' && (lastUpload = f)) });
  assert.deepEqual([...stages], ['sign', 'upload', 'verify']);
  assert.equal(lastUpload, 1);
  assert.equal(r1.verified, true);
  assert.equal(r1.previous, null);
  const r2 = await deployToPi(studioData, target, pkgV2);
  assert.deepEqual(r2.previous, { id: 'pi-test-model', version: '1.0.0' });
  const info = await piInfo(target);
  assert.equal(info.model.active?.version, '2.0.0');
  assert.equal(info.model.previous?.version, '1.0.0');
  const again = await deployToPi(studioData, target, pkgV2);
  assert.equal(again.changed, false, 'the same package twice changes nothing');
  assert.equal(readdirSync(join(agentData, 'models')).length, 2);
});

test('a wrong or missing token gets 401 on every route and changes nothing', async () => {
  const before = diskState();
  const bad: PiTarget = { ...target, token: 'x'.repeat(43) };
  const noToken: PiTarget = { host: target.host, port: target.port, fingerprint256: target.fingerprint256 };
  const signed = await signPackage(pkgV1, loadOrCreateStudioKey(studioData).privateKey);
  for (const t of [bad, noToken]) {
    for (const [method, path, extra] of [
      ['GET', '/info', {}],
      ['POST', '/rollback', {}],
      ['POST', '/infer', { json: { inputs: [{ modality: 'cough', int8: '' }] } }],
      ['POST', '/models', { body: uploadBody(pkgV1, signed) }],
    ] as const) {
      const res = await piRequest(t, method, path, extra);
      assert.equal(res.status, 401, `${method} ${path}`);
    }
    await expectPiError(piInfo(t), 'token_rejected', /Pair again/);
  }
  assert.deepEqual(diskState(), before);
  await answersWith(JSON.parse(readFileSync(join(pkgV2, 'model.json'), 'utf8')) as ModelPackageMeta, pkgV2);
});

test('an upload refused for its token is answered with 401 while the studio is still sending, not cut off', async () => {
  const before = diskState();
  const bad: PiTarget = { ...target, token: 'y'.repeat(43) };
  // 3 MB in small chunks: far more than the socket buffers hold, so the agent answers mid-upload. Closing
  // at once used to reset the connection under the writer (EPIPE, reported as a cut upload).
  const chunk = Buffer.alloc(16 * 1024, 0x5a);
  const body = { length: 192 * chunk.length, stream: () => Readable.from(Array.from({ length: 192 }, () => chunk)) };
  for (let round = 0; round < 3; round++) {
    const res = await piRequest(bad, 'POST', '/models', { body });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /unauthorized/);
  }
  assert.deepEqual(diskState(), before);
});

test('tampered, foreign-signed, unsigned and untestable models are refused; the previous model stays active and answers', async () => {
  const metaV2 = JSON.parse(readFileSync(join(pkgV2, 'model.json'), 'utf8')) as ModelPackageMeta;
  const before = diskState();

  // A byte flipped in model.int8.onnx after signing.
  const tampered = join(root, 'pkgs', 'tampered');
  writeTestPackage(tampered, 3, '3.0.0');
  const signed = await signForPi(studioData, target, tampered);
  const onnx = readFileSync(join(tampered, 'model.int8.onnx'));
  onnx[Math.floor(onnx.length / 2)] ^= 0x40;
  writeFileSync(join(tampered, 'model.int8.onnx'), onnx);
  const r1 = await piRequest(target, 'POST', '/models', { body: uploadBody(tampered, signed) });
  assert.equal(r1.status, 422);
  assert.match(JSON.stringify(r1.body), /hash_mismatch/);

  // Signed by a key the Pi never saw.
  const pkg4 = join(root, 'pkgs', 'v4');
  writeTestPackage(pkg4, 4, '4.0.0');
  const foreign = await signPackage(pkg4, generateKeyPairSync('ed25519').privateKey, { sequence: 1000, allowDowngrade: false });
  const r2 = await piRequest(target, 'POST', '/models', { body: uploadBody(pkg4, foreign) });
  assert.equal(r2.status, 403);
  assert.match(JSON.stringify(r2.body), /signature_rejected/);

  // No valid signature at all.
  const unsigned = { ...(await signForPi(studioData, target, pkg4)), signature: Buffer.alloc(64).toString('base64') };
  const r3 = await piRequest(target, 'POST', '/models', { body: uploadBody(pkg4, unsigned) });
  assert.equal(r3.status, 403);

  // Properly signed, but onnxruntime cannot load it: the test inference fails.
  const broken = join(root, 'pkgs', 'broken');
  const meta5 = { ...metaV2, version: '5.0.0' };
  delete (meta5 as Partial<ModelPackageMeta>).sha256;
  writeModelPackage(broken, { ...meta5, files: { int8Onnx: 'model.int8.onnx' } }, { 'model.int8.onnx': new TextEncoder().encode('not an onnx model') });
  await expectPiError(deployToPi(studioData, target, broken), 'test_inference_failed', /previous model stays active/);

  assert.deepEqual(diskState(), before);
  assert.equal(readdirSync(join(agentData, 'staging')).length, 0, 'staging is cleaned after every refusal');
  await answersWith(metaV2, pkgV2);
});

test('an upload cut halfway (client aborts, or the socket is destroyed mid-body) leaves the previous model active', async () => {
  const metaV2 = JSON.parse(readFileSync(join(pkgV2, 'model.json'), 'utf8')) as ModelPackageMeta;
  const before = diskState();
  const big = join(root, 'pkgs', 'big');
  // Padding makes the body long enough to be cut in the middle.
  writeTestPackage(big, 6, '6.0.0', undefined, Buffer.alloc(2 * 1024 * 1024, 7));
  const abort = new AbortController();
  await expectPiError(deployToPi(studioData, target, big, { signal: abort.signal, onProgress: (s, f) => s === 'upload' && f > 0.5 && abort.abort() }), 'upload_cut');

  // A raw TLS client that promises 1 MiB and sends half, then destroys the socket.
  const signed = await signForPi(studioData, target, big);
  const body = uploadBody(big, signed);
  await new Promise<void>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: agent.port, rejectUnauthorized: false }, async () => {
      s.write(`POST /models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${target.token}\r\nContent-Length: ${body.length}\r\n\r\n`);
      let sent = 0;
      for await (const chunk of body.stream()) {
        s.write(chunk as Buffer);
        sent += (chunk as Buffer).length;
        if (sent > body.length / 2) break;
      }
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 50);
    });
    s.on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(diskState(), before);
  await answersWith(metaV2, pkgV2);
  assert.equal(readdirSync(join(agentData, 'staging')).length, 0);
});

test('rollback returns to the previous model, and rolling back again returns to the newer one', async () => {
  const r = await rollbackPi(target);
  assert.equal(r.active.version, '1.0.0');
  assert.equal(r.previous?.version, '2.0.0');
  await answersWith(metaV1, pkgV1);
  const back = await rollbackPi(target);
  assert.equal(back.active.version, '2.0.0');
});

test('oversized uploads and malformed inference inputs are refused with a reason', async () => {
  const before = diskState();
  const huge = await piRequest(target, 'POST', '/models', { body: { length: 200 * 1024 * 1024, stream: () => Readable.from([Buffer.from('TM2U')]) } });
  assert.equal(huge.status, 413);
  assert.match(JSON.stringify(huge.body), /accepts at most 67108864/);
  const wrongSize = await piRequest(target, 'POST', '/infer', { json: { inputs: [{ modality: 'cough', int8: 'AAAA' }, { modality: 'speech', int8: 'AAAA' }] } });
  assert.equal(wrongSize.status, 400);
  assert.match(JSON.stringify(wrongSize.body), /input 'cough': 3 int8 values, the model expects 192/);
  const missing = await piRequest(target, 'POST', '/infer', { json: { inputs: [{ modality: 'cough', int8: Buffer.alloc(192).toString('base64') }] } });
  assert.equal(missing.status, 400);
  assert.match(JSON.stringify(missing.body), /input for modality 'speech' is missing/);
  const notJson = await piRequest(target, 'POST', '/infer', { json: 'nope' });
  assert.equal(notJson.status, 400);
  assert.deepEqual(diskState(), before);
  await assert.rejects(startAgentProcess(join(root, 'second'), agent.port), /port \d+ on 127\.0\.0\.1 is already in use \(is another tinym2-agent running\?\)/);
});

test('a different certificate at the paired address is detected before anything is sent', async () => {
  const port = agent.port;
  await agent.stop();
  const impostorData = join(root, 'impostor');
  const impostor = await startAgentProcess(impostorData, port);
  try {
    assert.notEqual(impostor.fingerprint256, target.fingerprint256);
    await expectPiError(piInfo(target), 'fingerprint_changed', /pretending to be the Pi: nothing was sent/);
    await expectPiError(deployToPi(studioData, target, pkgV1), 'fingerprint_changed');
    // Pairing with a fingerprint read from the real Pi's console refuses the impostor too.
    await expectPiError(pairPi(join(root, 'studio2'), { host: '127.0.0.1', port }, impostor.code()!, { expectedFingerprint: target.fingerprint256! }), 'fingerprint_changed');
  } finally {
    await impostor.stop();
  }
  assert.equal(readdirSync(join(impostorData, 'models')).length, 0, 'the impostor received no model');
  agent = await startAgentProcess(agentData, port);
  assert.equal(agent.fingerprint256, target.fingerprint256, 'the certificate survives a restart');
  const info = await piInfo(target);
  assert.equal(info.model.active?.version, '2.0.0');
  await expectPiError(piInfo({ host: '127.0.0.1', port: 1 }), 'unreachable', /Cannot reach the Pi at pi:\/\/127\.0\.0\.1:1 \(connection refused/);
});
