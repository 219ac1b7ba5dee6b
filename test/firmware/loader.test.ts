import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodeFrame } from '../../src-main/devices/gapuino/frame';
import { LoaderError, LoaderStatus, MessageType, type LoaderClient } from '../../src-main/devices/gapuino/loaderProtocol';
import { seededRandom } from '../../src-main/train/random';
import { tempDir } from './buildFirmware';
import { assertRunsValidModel, buildLoader, startDevice } from './loaderDevice';
import { writeTestPackage, type TestPackage } from './loaderPackages';

const loader = buildLoader();
const work = tempDir('tm2-loader-test-');
const packages = [11, 12, 13].map((seed) => writeTestPackage(work, seed));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

async function transfer(client: LoaderClient, blob: Uint8Array, chunk = 1024): Promise<number> {
  await client.begin(blob.length, sha(blob));
  let offset = 0;
  while (offset < blob.length) offset = await client.data(offset, blob.subarray(offset, offset + chunk));
  return client.commit();
}

async function rejects(p: Promise<unknown>, status: number, detail?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof LoaderError && e.status === status && (detail === undefined || e.detail === detail));
}

test('loader: blank flash → commit → infer, two slots, rollback, and every refusal keeps the running model', async () => {
  const flash = path.join(work, 'basic.img');
  const { device, client } = startDevice(loader, flash);
  try {
    const blank = await client.hello();
    assert.equal(blank.runningSlot, undefined);
    assert.equal(blank.protocolVersion, 1);
    await rejects(client.infer(packages[0]!.golden.inputs), LoaderStatus.noModel);
    await rejects(client.rollback(), LoaderStatus.noPrevious);
    await rejects(client.commit(), LoaderStatus.noTransfer);

    const [a, b, c] = packages as [TestPackage, TestPackage, TestPackage];
    assert.equal(await transfer(client, a.blob), 0);
    assert.equal((await assertRunsValidModel(client, [a], 'after first commit')).info.runningSlot, 0);
    assert.equal(await transfer(client, b.blob, 300), 1);
    const both = (await assertRunsValidModel(client, [b], 'after second commit')).info;
    assert.deepEqual(both.slots.map((s) => s.modelId), [a.meta.id, b.meta.id]);
    assert.equal(await client.rollback(), 0);
    await assertRunsValidModel(client, [a], 'after rollback');
    assert.equal(await client.rollback(), 1, 'rolling back again returns to the newer model');
    await assertRunsValidModel(client, [b], 'after second rollback');

    // SHA-256 mismatch: BEGIN announces one digest, the bytes hash to another.
    await client.begin(c.blob.length, sha(a.blob.subarray(0, c.blob.length)));
    let offset = 0;
    while (offset < c.blob.length) offset = await client.data(offset, c.blob.subarray(offset, offset + 1024));
    await rejects(client.commit(), LoaderStatus.shaMismatch);
    await assertRunsValidModel(client, [b], 'after a damaged transfer');

    // Bytes that hash correctly but are not a valid blob: the parser's status comes back as detail.
    const bad = Uint8Array.from(c.blob);
    bad[0] = 0x58; // magic
    await client.begin(bad.length, sha(bad));
    offset = 0;
    while (offset < bad.length) offset = await client.data(offset, bad.subarray(offset, offset + 1024));
    await rejects(client.commit(), LoaderStatus.blobRejected, 3);
    // The slot that held a (now erased) model can no longer be rolled back to.
    await rejects(client.rollback(), LoaderStatus.noPrevious);
    await assertRunsValidModel(client, [b], 'after a rejected blob');

    // Incomplete, out of order, duplicate chunks, too large.
    await client.begin(c.blob.length, sha(c.blob));
    assert.equal(await client.data(0, c.blob.subarray(0, 100)), 100);
    assert.equal(await client.data(0, c.blob.subarray(0, 100)), 100, 'a repeated chunk is acknowledged, not rewritten');
    assert.equal(await client.data(500, c.blob.subarray(500, 600)), 100, 'a gap is answered with the next expected offset');
    await rejects(client.commit(), LoaderStatus.incomplete);
    await rejects(client.begin(blank.slotBytes + 1, sha(c.blob)), LoaderStatus.tooLarge);
    await assertRunsValidModel(client, [b], 'after refused requests');
    assert.equal(await transfer(client, c.blob), 0);
    await assertRunsValidModel(client, [c], 'after the third commit');
  } finally {
    await device.close();
  }
  // The record survives a restart.
  const again = startDevice(loader, flash);
  try {
    await assertRunsValidModel(again.client, [packages[2]!], 'after restart');
  } finally {
    await again.device.close();
  }
});

test('loader: garbage, corrupted and truncated frames are skipped and the next frame is answered', async () => {
  const { device, client } = startDevice(loader, path.join(work, 'garbage.img'));
  try {
    const rnd = seededRandom(5);
    for (let round = 0; round < 20; round++) {
      const junk = Uint8Array.from({ length: 1 + rnd.int(300) }, () => (rnd.int(4) === 0 ? 0xa5 : rnd.int(256)));
      await device.write(junk);
      const frame = encodeFrame(MessageType.hello, 99, new Uint8Array(0));
      // A frame cut short, then one with a flipped payload bit: both must be dropped without hanging the device.
      await device.write(frame.subarray(0, 1 + rnd.int(frame.length - 1)));
      const corrupt = encodeFrame(MessageType.input, 98, new Uint8Array([0, 0, 0, 0, 1, 2, 3]));
      corrupt[9]! ^= 0x10;
      await device.write(corrupt);
      const info = await client.hello();
      assert.equal(info.firmwareVersion, 'tm2-loader 0.2.0', `round ${round}`);
    }
  } finally {
    await device.close();
  }
});

test('loader: SIGKILL at random points of BEGIN / DATA / COMMIT / the slot switch always restarts on a valid model', async () => {
  const points = Number(process.env.TM2_LOADER_CRASH_POINTS ?? 200);
  const flash = path.join(work, 'crash.img');
  const rnd = seededRandom(2026);
  const seen: Record<string, number> = {};
  let current: TestPackage | undefined;
  const chunk = 256;
  for (let i = 0; i < points; i++) {
    const target = packages.find((p) => p !== current && rnd.int(2) === 0) ?? packages.find((p) => p !== current)!;
    const dataSteps = Math.ceil(target.blob.length / chunk);
    const steps = ['begin', ...Array.from({ length: dataSteps }, () => 'data'), 'commit'] as const;
    // Half the points reset inside a flash erase/write (after half of it landed), half from outside at a request.
    const flashOps = 3 + dataSteps + 2;
    const inFlash = i % 2 === 0;
    const crashAt = 1 + rnd.int(flashOps);
    // External kills: a quarter at BEGIN, half during DATA, a quarter at COMMIT.
    const pick = rnd.int(4);
    const killStep = pick === 0 ? 0 : pick === 3 ? steps.length - 1 : 1 + rnd.int(dataSteps);
    const { device, client } = startDevice(loader, flash, inFlash ? { TM2_FLASH_CRASH_AT: String(crashAt) } : undefined);
    let step = 0;
    let commitSent = false;
    try {
      await client.hello();
      for (; step < steps.length; step++) {
        const name = steps[step]!;
        if (name === 'commit') commitSent = true;
        const offset = (step - 1) * chunk;
        const run =
          name === 'begin' ? client.begin(target.blob.length, sha(target.blob)) : name === 'data' ? client.data(offset, target.blob.subarray(offset, offset + chunk)) : client.commit();
        if (!inFlash && step === killStep) {
          // Right after the bytes enter the pipe (the device may or may not act on them), or a moment later.
          if (rnd.int(2) === 0) void device.kill();
          else setImmediate(() => void device.kill());
        }
        await run;
      }
    } catch {
      // The device died under us: that is the point.
    }
    await device.kill();
    const phase = step >= steps.length ? 'after-commit' : steps[step] === 'commit' && inFlash ? 'slot-switch' : steps[step]!;
    seen[phase] = (seen[phase] ?? 0) + 1;

    const restarted = startDevice(loader, flash);
    try {
      const allowed = current ? (commitSent ? [current, target] : [current]) : commitSent ? [target] : [];
      if (allowed.length === 0) {
        assert.equal((await restarted.client.hello()).runningSlot, undefined, `point ${i}: nothing committed yet`);
      } else {
        current = (await assertRunsValidModel(restarted.client, allowed, `point ${i} (${phase}, ${inFlash ? `flash op ${crashAt}` : `request ${killStep}`})`)).pkg;
      }
    } finally {
      await restarted.device.close();
    }
  }
  console.log(`loader crash points by phase: ${JSON.stringify(seen)}`);
  const enough = Math.min(5, points / 40);
  for (const phase of ['begin', 'data', 'slot-switch']) assert.ok((seen[phase] ?? 0) >= enough, `phase ${phase} was hit`);
  assert.ok((seen['commit'] ?? 0) + (seen['after-commit'] ?? 0) >= enough, 'kills around COMMIT');
  writeFileSync(path.join(work, 'crash-summary.json'), JSON.stringify(seen));
});
