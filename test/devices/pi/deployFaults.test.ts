import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { goldenInputs } from '../../../src-main/devices/pi/goldenInput';
import { deployToPi, inferOnPi, pairPi, pairedTarget, piInfo } from '../../../src-main/devices/pi/piClient';
import { piRequest } from '../../../src-main/devices/pi/piConnection';
import { PiDeviceError } from '../../../src-main/devices/pi/piDeviceError';
import { uploadBody } from '../../../src-main/devices/pi/uploadFormat';
import { openModelSession } from '../../../src-main/infer/modelSession';
import { seededRandom } from '../../../src-main/train/random';
import { signForPi, startAgentProcess, writeTestPackage, type AgentProcess } from './piFixture';

/**
 * Deploys again and again while faults are injected at random points: the connection is cut mid-upload,
 * a byte of the body is corrupted in transit, or the agent is killed with SIGKILL at a random moment and
 * restarted. After every iteration the agent must answer /info and /infer with a whole, verified model:
 * bit-identical to onnxruntime here on the golden input for the version it says is active. Versions go
 * back and forth at random, so every deploy is a chosen downgrade where needed (allowDowngrade): the
 * downgrade checks have their own tests (hardening.test.ts).
 */
const DEPLOYS = Number(process.env.TINYM2_PI_FAULT_DEPLOYS ?? 200);
const SEED = Number(process.env.TINYM2_PI_FAULT_SEED ?? 1);
const root = mkdtempSync(join(tmpdir(), 'tm2-pi-faults-'));
let agent: AgentProcess | undefined;

after(async () => {
  await agent?.stop();
  rmSync(root, { recursive: true, force: true });
});

let busyRetries = 0;
const isBusy = (e: unknown) => e instanceof PiDeviceError && e.kind === 'busy';

/**
 * The agent frees its deploy slot a few ms after a studio cuts an upload (it has to notice the closed
 * connection and clean up); a deploy right behind it is told busy at once, and tries again as a person would.
 */
async function whenNotBusy<T>(send: () => Promise<T>, busyAnswer: (r: T) => boolean = () => false): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await send();
      if (!busyAnswer(r) || attempt >= 40) return r;
    } catch (e) {
      if (!isBusy(e) || attempt >= 40) throw e;
    }
    busyRetries++;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test(`${DEPLOYS} deploys with random faults (cut, corrupt, kill -9): the agent always ends on a verified model`, { timeout: 240_000 }, async () => {
  const t0 = performance.now();
  const agentData = join(root, 'agent');
  const studioData = join(root, 'studio');
  const versions = ['1.0.0', '2.0.0', '3.0.0'];
  const pkgs = versions.map((v, i) => {
    const dir = join(root, 'pkgs', v);
    // Padding so a cut or a flipped byte can land anywhere in a body of a few hundred KiB.
    writeTestPackage(dir, 20 + i, v, undefined, Buffer.alloc(192 * 1024 + i * 4096, i + 1));
    return dir;
  });
  const meta = JSON.parse(readFileSync(join(pkgs[0]!, 'model.json'), 'utf8'));
  const modalities = (meta.modalities as { name: string }[]).map((m) => m.name);
  const golden = goldenInputs(meta);
  const expected = new Map<string, number[]>();
  for (const [i, dir] of pkgs.entries()) {
    const s = await openModelSession(dir);
    expected.set(versions[i]!, Array.from(await s.run(golden)));
    await s.release();
  }
  assert.notDeepEqual(expected.get('1.0.0'), expected.get('2.0.0'), 'the packages are distinguishable by their output');

  agent = await startAgentProcess(agentData);
  const port = agent.port;
  await pairPi(studioData, { host: '127.0.0.1', port }, agent.code()!);
  const target = pairedTarget(studioData, { host: '127.0.0.1', port });
  await deployToPi(studioData, target, pkgs[0]!);
  const rnd = seededRandom(SEED);
  const counts = { clean: 0, cut: 0, corrupt: 0, kill: 0, landedDespiteKill: 0 };
  let active = '1.0.0';
  let agentLogs = '';

  for (let i = 0; i < DEPLOYS; i++) {
    const p = rnd.int(pkgs.length);
    const dir = pkgs[p]!;
    const roll = rnd.next();
    const before = active;
    if (roll < 0.37) {
      counts.clean++;
      const r = await whenNotBusy(() => deployToPi(studioData, target, dir, { allowDowngrade: true }));
      assert.equal(r.model.version, versions[p]);
    } else if (roll < 0.65) {
      counts.cut++;
      const at = 0.05 + rnd.next() * 0.85;
      const abort = new AbortController();
      await assert.rejects(
        whenNotBusy(() => deployToPi(studioData, target, dir, { allowDowngrade: true, signal: abort.signal, onProgress: (s, f) => s === 'upload' && f >= at && abort.abort() })),
        (e: unknown) => e instanceof PiDeviceError && e.kind === 'upload_cut',
      );
    } else if (roll < 0.92) {
      counts.corrupt++;
      const body = uploadBody(dir, await signForPi(studioData, target, dir, true));
      const flipAt = rnd.int(body.length);
      const corrupted = {
        length: body.length,
        stream: () => {
          let offset = 0;
          return Readable.from(
            (async function* () {
              for await (const chunk of body.stream()) {
                const c = Buffer.from(chunk as Buffer);
                if (flipAt >= offset && flipAt < offset + c.length) c[flipAt - offset] ^= 1 << rnd.int(8);
                offset += c.length;
                yield c;
              }
            })(),
          );
        },
      };
      // The agent reads the rest of a refused body, so the studio always hears why, never a reset.
      const res = await whenNotBusy(
        () => piRequest(target, 'POST', '/models', { body: corrupted }),
        (r) => r.status === 409 && (r.body as { code?: string }).code === 'busy',
      );
      assert.ok([400, 403, 422].includes(res.status), `flipped byte ${flipAt}: HTTP ${res.status}`);
    } else {
      counts.kill++;
      const deploy = whenNotBusy(() => deployToPi(studioData, target, dir, { allowDowngrade: true })).then(
        () => true,
        (e: unknown) => {
          assert.ok(e instanceof PiDeviceError, String(e));
          return false;
        },
      );
      // Anywhere from before the upload starts to after the activation (a clean deploy takes ~150 ms here).
      await new Promise((r) => setTimeout(r, rnd.int(250)));
      await agent.kill9();
      agentLogs += agent.output();
      if (await deploy) counts.landedDespiteKill++;
      agent = await startAgentProcess(agentData, port);
      assert.equal(agent.fingerprint256, target.fingerprint256);
    }

    const info = await piInfo(target);
    assert.ok(info.model.active, `iteration ${i}: no active model (${info.model.problem ?? ''})`);
    active = info.model.active.version;
    if (roll < 0.37) assert.equal(active, versions[p], `iteration ${i}: a clean deploy activates its model`);
    else if (roll < 0.92) assert.equal(active, before, `iteration ${i}: a cut or corrupted upload changes nothing`);
    else assert.ok(active === before || active === versions[p], `iteration ${i}: after kill -9 the old or the new model is active, got ${active}`);
    const kept = readdirSync(join(agentData, 'models'));
    assert.ok(kept.length <= 2, `iteration ${i}: only the active and previous models are kept, found ${kept.join(', ')}`);
    assert.deepEqual(readdirSync(agentData).filter((n) => n.endsWith('.tmp')), [], `iteration ${i}: no torn state files`);
    const out = await inferOnPi(target, modalities, golden);
    assert.equal(out.model.version, active);
    assert.deepEqual(out.output, expected.get(active), `iteration ${i}: the active model ${active} answers like onnxruntime here`);
  }
  agentLogs += agent.output();
  assert.doesNotMatch(agentLogs, /error on |internal error/, 'every fault was a refusal the agent understood, never an internal error');
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${DEPLOYS} deploys in ${seconds.toFixed(1)} s: ${JSON.stringify(counts)}; ${busyRetries} retries after a busy answer`);
});
