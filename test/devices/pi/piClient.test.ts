import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Pairing, DEFAULT_PAIRING_POLICY } from '../../../src-main/agent/pairing';
import { loadOrCreateTlsIdentity } from '../../../src-main/agent/tlsIdentity';
import { canonicalManifestBytes, verifySignedManifest } from '../../../src-main/devices/modelSigning';
import { packageManifest, signPackage } from '../../../src-main/devices/pi/deployPackage';
import { parsePiAddress, formatPiAddress } from '../../../src-main/devices/pi/piAddress';
import { deployToPi, pairPi, piInfo } from '../../../src-main/devices/pi/piClient';
import { PiDeviceError } from '../../../src-main/devices/pi/piDeviceError';
import { loadPairedPis } from '../../../src-main/devices/pi/pairedPis';
import { loadOrCreateStudioKey } from '../../../src-main/devices/pi/studioKey';
import { writeTestPackage } from './piFixture';

const root = mkdtempSync(join(tmpdir(), 'tm2-pi-client-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the signed manifest covers model.json and the files it names (nothing else in the folder), is order-independent, and any change breaks the signature', async () => {
  const pkg = join(root, 'pkg');
  writeTestPackage(pkg, 41, '1.2.3');
  writeFileSync(join(pkg, '.DS_Store'), 'ignored');
  // Left in the package folder by someone: never signed, so never sent to a device.
  writeFileSync(join(pkg, 'patient-0042.wav'), Buffer.alloc(1024, 3));
  const manifest = await packageManifest(pkg);
  assert.deepEqual(manifest.files.map((f) => f.name), ['int8-graph.json', 'model.int8.onnx', 'model.json']);
  assert.equal(manifest.modelId, 'pi-test-model');
  assert.equal(manifest.version, '1.2.3');
  assert.ok(canonicalManifestBytes(manifest).equals(canonicalManifestBytes({ ...manifest, files: [...manifest.files].reverse() })));

  const studio = loadOrCreateStudioKey(join(root, 'studio'));
  assert.equal(loadOrCreateStudioKey(join(root, 'studio')).publicKeyPem, studio.publicKeyPem, 'the key is made once and kept');
  assert.equal((readFileSync(join(root, 'studio', 'keys', 'studio-ed25519.pem')).length > 0), true);
  const signed = await signPackage(pkg, studio.privateKey);
  assert.equal(verifySignedManifest(signed, studio.publicKeyPem), true);
  const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.equal(verifySignedManifest(signed, other), false);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.equal(verifySignedManifest(signed, rsa), false);
  assert.equal(verifySignedManifest(signed, 'not a key'), false);
  const changed = { ...signed, manifest: { ...signed.manifest, files: signed.manifest.files.map((f, i) => (i === 0 ? { ...f, bytes: f.bytes + 1 } : f)) } };
  assert.equal(verifySignedManifest(changed, studio.publicKeyPem), false);
  assert.equal(verifySignedManifest({ ...signed, manifest: { ...signed.manifest, version: '9.9.9' } }, studio.publicKeyPem), false);
});

test('Pi addresses: pi://host:port, bare host (default port), IPv6; bad ones are named', () => {
  assert.deepEqual(parsePiAddress('pi://127.0.0.1:9443'), { host: '127.0.0.1', port: 9443 });
  assert.deepEqual(parsePiAddress('raspberrypi.local'), { host: 'raspberrypi.local', port: 8443 });
  assert.deepEqual(parsePiAddress('pi://[::1]:7000'), { host: '::1', port: 7000 });
  assert.equal(formatPiAddress({ host: '::1', port: 7000 }), 'pi://[::1]:7000');
  assert.throws(() => parsePiAddress('http://x/y'), /'http:\/\/x\/y' is not a Pi address: write pi:\/\/host:port/);
  assert.throws(() => parsePiAddress('pi://x:70000'), /port 70000 is out of range/);
});

test('pairing codes expire, lock after 5 wrong tries, are one-time, and tokens are stored only as hashes', () => {
  let now = 1_000_000;
  const shown: string[] = [];
  const dir = mkdtempSync(join(root, 'pairing-'));
  const p = new Pairing(dir, { ...DEFAULT_PAIRING_POLICY, codeTtlMs: 60_000, lockoutMs: 30_000 }, (c) => shown.push(c), () => now);
  p.start();
  const key = loadOrCreateStudioKey(join(root, 'studio')).publicKeyPem;
  assert.match(shown[0]!, /^\d{6}$/);
  now += 61_000;
  assert.deepEqual(p.attempt(shown[0]!, key), { ok: false, reason: 'wrong_code' }, 'an expired code is refused');
  p.stop();

  const q = new Pairing(dir, DEFAULT_PAIRING_POLICY, (c) => shown.push(c), () => now);
  q.start();
  const code = shown.at(-1)!;
  const wrong = code === '999999' ? '999998' : '999999';
  assert.equal((q.attempt(code, 'not a key') as { reason: string }).reason, 'bad_key');
  for (let i = 0; i < 3; i++) assert.equal(q.attempt(wrong, key).ok, false);
  const ok = q.attempt(code, key);
  assert.ok(ok.ok);
  const token = (ok as { token: string }).token;
  assert.ok(q.studioFor(`Bearer ${token}`));
  assert.equal(q.studioFor(`Bearer ${token.slice(0, -1)}x`), undefined);
  assert.equal(q.studioFor(undefined), undefined);
  assert.equal(q.attempt(code, key).ok, false, 'one-time code');
  assert.ok(!readFileSync(join(dir, 'pairings.json'), 'utf8').includes(token), 'the token itself is never written');
  const fresh = shown.at(-1)!;
  for (let i = 0; i < 5; i++) assert.equal(q.attempt(wrong === fresh ? '123123' : wrong, key).ok, false);
  const locked = q.attempt(fresh, key);
  assert.deepEqual(locked, { ok: false, reason: 'locked', retryAfterSeconds: 60 });
  q.stop();
  // Pairings survive a restart.
  const r = new Pairing(dir, DEFAULT_PAIRING_POLICY, () => undefined, () => now);
  assert.ok(r.studioFor(`Bearer ${token}`));
});

test('a device whose output differs on the golden input is rolled back and reported; a non-agent answer is named', async () => {
  const tls = loadOrCreateTlsIdentity(join(root, 'fake-agent'));
  assert.equal(loadOrCreateTlsIdentity(join(root, 'fake-agent')).fingerprint256, tls.fingerprint256, 'the certificate is kept');
  const calls: string[] = [];
  const ref = (v: string) => ({ id: 'pi-test-model', version: v, dir: `d${v}`, activatedAt: '2026-11-25T00:00:00Z' });
  let mode: 'agent' | 'other' | 'over-maximum' = 'agent';
  let uploadHead = '';
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    req.on('data', (c: Buffer) => (uploadHead += req.url === '/models' && uploadHead.length < 4096 ? c.toString('latin1') : ''));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (mode === 'other') return reply(200, { hello: 'I am a printer' });
      if (req.url === '/pair') return reply(200, { token: 't'.repeat(43), agentId: 'fake', agentVersion: '0' });
      // An agent from before downgrade protection: no deploySequences, so the studio signs format 1.
      if (req.url === '/info') {
        const model = { active: ref('1.0.0'), previous: null };
        // An agent that is not genuine (or predates the bound) reporting a sequence no studio can sign above.
        const sequences = mode === 'over-maximum' ? { deploySequences: { 'pi-test-model': { sequence: Number.MAX_SAFE_INTEGER, version: '1.0.0' } } } : {};
        return reply(200, { agentId: 'fake', agentVersion: '0', hostname: 'pi', model, cpu: { model: 'arm', cores: 4, arch: 'arm64', loadAverage: [0] }, memory: { totalBytes: 1, freeBytes: 1, agentRssBytes: 1 }, uptimeSeconds: { system: 1, agent: 1 }, platform: 'linux', ...sequences });
      }
      if (req.url === '/models') return reply(200, { active: ref('2.0.0'), previous: ref('1.0.0'), changed: true });
      if (req.url === '/infer') return reply(200, { model: { id: 'pi-test-model', version: '2.0.0' }, output: [0, 0, 0], latencyMs: 1 });
      if (req.url === '/rollback') return reply(200, { active: ref('1.0.0'), previous: ref('2.0.0'), changed: true });
      reply(404, { error: 'no', code: 'not_found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const studio = join(root, 'studio-fake');
    const pi = await pairPi(studio, { host: '127.0.0.1', port }, '123456');
    assert.equal(loadPairedPis(studio)[0]!.fingerprint256, tls.fingerprint256);
    const pkg = join(root, 'pkg-v2');
    writeTestPackage(pkg, 42, '2.0.0');
    writeFileSync(join(pkg, 'patient-0042.wav'), Buffer.alloc(1024, 3));
    await assert.rejects(deployToPi(studio, pi, pkg), (e: unknown) => {
      assert.ok(e instanceof PiDeviceError && e.kind === 'verification_mismatch', String(e));
      assert.match(e.message, /golden-input check failed .* its output differs from this computer's\. It was rolled back to pi-test-model 1\.0\.0\./);
      return true;
    });
    assert.deepEqual(calls.slice(-4), ['GET /info', 'POST /models', 'POST /infer', 'POST /rollback']);
    assert.match(uploadHead, /"format":"tinym2-model-manifest\/1"/, 'an agent without downgrade protection gets the manifest format it reads');
    assert.doesNotMatch(uploadHead, /"sequence"/);
    assert.doesNotMatch(uploadHead, /patient|\.DS_Store/);

    mode = 'over-maximum';
    const calledBefore = calls.length;
    const overMaximum = /The Pi at pi:\/\/127\.0\.0\.1:\d+ reports deploy sequence 9007199254740991 for pi-test-model, above 2\^40 \(1099511627776\), the largest any TinyM2 Studio signs .*update tinym2-agent on the Pi/;
    await assert.rejects(piInfo(pi), (e: unknown) => e instanceof PiDeviceError && e.kind === 'deploy_sequence' && overMaximum.test(e.message));
    await assert.rejects(deployToPi(studio, pi, pkg), (e: unknown) => e instanceof PiDeviceError && e.kind === 'deploy_sequence' && overMaximum.test(e.message));
    assert.deepEqual(calls.slice(calledBefore), ['GET /info', 'GET /info'], 'nothing was uploaded');
    assert.equal(existsSync(join(studio, 'devices', 'pi-deploy-sequences.json')), false, 'no sequence was reserved');
    mode = 'other';
    await assert.rejects(piInfo(pi), /gave an answer this studio does not understand/);
  } finally {
    server.close();
    server.closeAllConnections();
  }
});
