import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deploy, DeployError, type DeployProgress } from '../../../src-main/devices/gapuino/deploy';
import { LoaderClient } from '../../../src-main/devices/gapuino/loaderProtocol';
import type { SimulatedGapuino } from '../../../src-main/devices/gapuino/simulatedGapuino';
import { TransportClosedError, type ByteTransport } from '../../../src-main/devices/transport';
import { seededRandom } from '../../../src-main/train/random';
import { repoRoot, tempDir } from '../../firmware/buildFirmware';
import { assertRunsValidModel, buildLoader, startDevice } from '../../firmware/loaderDevice';
import { writeTestPackage, type TestPackage } from '../../firmware/loaderPackages';

const loader = buildLoader();
const work = tempDir('tm2-deploy-test-');
const packages = [31, 32, 33].map((seed) => writeTestPackage(work, seed));

test('deploy to the simulated GAPuino: progress, verification against onnxruntime, and a plain error for a package without a blob', async () => {
  const { device } = startDevice(loader, path.join(work, 'basic.img'));
  try {
    const events: DeployProgress[] = [];
    const result = await deploy(device, packages[0]!.dir, { onProgress: (p) => events.push(p), chunkBytes: 1024, timeoutMs: 400 });
    assert.equal(result.modelId, packages[0]!.meta.id);
    assert.ok(result.maxDiffLsb <= 1);
    assert.deepEqual([...new Set(events.map((e) => e.stage))], ['connect', 'transfer', 'commit', 'verify', 'done']);
    assert.equal(events.filter((e) => e.stage === 'transfer').at(-1)!.sentBytes, packages[0]!.blob.length);
    const second = await deploy(device, packages[1]!.dir, { timeoutMs: 400 });
    assert.equal(second.slot, 1);
    await assertRunsValidModel(new LoaderClient(device), [packages[1]!], 'after the second deploy');

    const noBlob = writeTestPackage(path.join(work, 'noblob'), 34);
    const metaPath = path.join(noBlob.dir, 'model.json');
    const { sha256: _drop, ...meta } = noBlob.meta;
    writeFileSync(metaPath, JSON.stringify({ ...meta, files: { int8Onnx: meta.files.int8Onnx } }));
    await assert.rejects(deploy(device, noBlob.dir), (e: unknown) => e instanceof DeployError && /no firmware blob/.test(e.message) && e.device === 'previous-model');
    await assertRunsValidModel(new LoaderClient(device), [packages[1]!], 'after a refused deploy');
  } finally {
    await device.close();
  }
});

const defaultAudio = path.join(repoRoot, 'resources', 'models', 'coswara-gender-audio');

test('deploy the installed default audio model to the simulated GAPuino and verify it against onnxruntime', { skip: existsSync(path.join(defaultAudio, 'model.tm2b')) ? false : 'resources/models/coswara-gender-audio is not installed' }, async () => {
  const { device } = startDevice(loader, path.join(work, 'default.img'));
  try {
    const result = await deploy(device, defaultAudio, { timeoutMs: 1000 });
    console.log(`default audio model on the simulated GAPuino: ${result.blobBytes} B in slot ${result.slot}, max |diff| vs onnxruntime ${result.maxDiffLsb} LSB, ${result.cycles} ns of CPU per inference`);
    assert.ok(result.maxDiffLsb <= 1);
    const info = await new LoaderClient(device).hello();
    assert.equal(info.modelId, 'coswara-gender-audio');
  } finally {
    await device.close();
  }
});

/** The cable: cut after `cutAfter` written bytes, and/or one written frame with a flipped bit. */
class FaultyLink implements ByteTransport {
  readonly description: string;
  private written = 0;
  private frames = 0;
  cut = false;
  constructor(
    private readonly inner: ByteTransport,
    private readonly cutAfter: number,
    private readonly corruptFrame: number,
    private readonly corruptBit: number,
  ) {
    this.description = `${inner.description} via test cable`;
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (this.cut) throw new TransportClosedError('cable cut');
    let out = bytes;
    if (this.frames++ === this.corruptFrame) {
      out = Uint8Array.from(bytes);
      out[this.corruptBit % out.length]! ^= 1 << this.corruptBit % 8;
    }
    if (this.written + out.length > this.cutAfter) {
      await this.inner.write(out.subarray(0, this.cutAfter - this.written));
      this.cut = true;
      throw new TransportClosedError('cable cut');
    }
    this.written += out.length;
    await this.inner.write(out);
  }
  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.cut) return Promise.reject(new TransportClosedError('cable cut'));
    return this.inner.read(timeoutMs);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

test('deploy fault loop: kills, cut cables and corrupted chunks at random points always leave a valid, verified model', async () => {
  const count = Number(process.env.TM2_DEPLOY_FAULTS ?? 200);
  const flash = path.join(work, 'faults.img');
  const rnd = seededRandom(77);
  let { device } = startDevice(loader, flash);
  let current: TestPackage | undefined;
  const outcomes: Record<string, number> = {};
  try {
    for (let i = 0; i < count; i++) {
      const target = packages[rnd.int(packages.length)]!;
      const fault = (['kill', 'cut', 'corrupt', 'none'] as const)[i % 4]!;
      const framesPerDeploy = 3 + Math.ceil(target.blob.length / 512) + 3;
      const link = new FaultyLink(
        device,
        fault === 'cut' ? rnd.int(target.blob.length + 600) : Infinity,
        fault === 'corrupt' ? rnd.int(framesPerDeploy) : -1,
        rnd.int(1 << 16),
      );
      const dev: SimulatedGapuino = device;
      // Kills land at a random progress event (connect, each chunk, commit, verify), now or a moment later.
      let killed: Promise<void> | undefined;
      let events = 0;
      const killAt = fault === 'kill' ? rnd.int(5 + Math.ceil(target.blob.length / 512)) : -1;
      const killLater = rnd.int(2) === 0;
      const onProgress = () => {
        if (events++ !== killAt) return;
        if (killLater) killed = new Promise((resolve) => setImmediate(() => resolve(dev.kill())));
        else killed = dev.kill();
      };
      let outcome: string;
      let allowed: TestPackage[];
      try {
        // Short timeouts keep corrupted frames cheap; a slow reply only costs a harmless retransmission.
        await deploy(link, target.dir, { chunkBytes: 512, timeoutMs: 150, retries: 6, onProgress });
        outcome = 'deployed';
        allowed = [target];
      } catch (e) {
        assert.ok(e instanceof DeployError, `deploy ${i}: ${String(e)}`);
        assert.ok(e.message.length > 20 && !/undefined|\[object/.test(e.message), `deploy ${i}: message '${e.message}'`);
        outcome = `${e.stage}/${e.device}`;
        // Without a previous model, 'unknown' may also mean no model at all.
        allowed = e.device === 'previous-model' || e.device === 'rolled-back' ? (current ? [current] : []) : current ? [current, target] : [];
        if (!current && e.device === 'unknown') {
          if (!device.alive) await device.exited;
          if (!device.alive) device = startDevice(loader, flash).device;
          const info = await new LoaderClient(device, { timeoutMs: 400 }).hello();
          if (info.runningSlot !== undefined) allowed = [target];
        }
      }
      await killed;
      if (fault === 'corrupt') assert.equal(outcome, 'deployed', `deploy ${i}: a corrupted chunk is retransmitted, not fatal`);
      outcomes[`${fault}:${outcome}`] = (outcomes[`${fault}:${outcome}`] ?? 0) + 1;
      if (!device.alive) {
        await device.exited;
        device = startDevice(loader, flash).device;
      }
      const client = new LoaderClient(device, { timeoutMs: 400 });
      if (allowed.length === 0) {
        assert.equal((await client.hello()).runningSlot, undefined, `deploy ${i}: no model yet`);
        continue;
      }
      current = (await assertRunsValidModel(client, allowed, `deploy ${i} (${fault}, ${outcome})`)).pkg;
    }
  } finally {
    await device.close();
  }
  console.log(`deploy faults: ${JSON.stringify(outcomes)}`);
  assert.ok(Object.keys(outcomes).some((k) => k.startsWith('kill:') && !k.endsWith('deployed')), 'some kills interrupted a deploy');
  assert.ok(Object.keys(outcomes).some((k) => k.startsWith('cut:') && !k.endsWith('deployed')), 'some cuts interrupted a deploy');
});
