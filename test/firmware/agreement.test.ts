import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { goldenInputs } from '../../src-main/devices/pi/goldenInput';
import { openModelSession } from '../../src-main/infer/modelSession';
import { loadPackage } from '../../src-main/models/catalog';
import { buildFirmware, missingCrossTools, repoRoot, tempDir, toolCommand, type FirmwareTarget } from './buildFirmware';
import { writeTestPackage } from './loaderPackages';

const SETS = 8;
const work = tempDir('tm2-agreement-');

/** The installed default models (resources/models/*), plus an audio-shaped package built here so the test always has one. */
async function packageDirs(): Promise<{ dir: string; installed: boolean }[]> {
  const root = path.join(repoRoot, 'resources', 'models');
  const installed = existsSync(root) ? readdirSync(root).map((d) => path.join(root, d)).filter((d) => existsSync(path.join(d, 'model.json'))) : [];
  const usable: { dir: string; installed: boolean }[] = [];
  for (const dir of installed) {
    const meta = await loadPackage(dir);
    assert.ok(!('reason' in meta), `${dir}: ${'reason' in meta ? meta.reason : ''}`);
    if (meta.files.firmwareBlob) usable.push({ dir, installed: true });
  }
  if (usable.length === 0) console.log('no installed model in resources/models has a firmware blob yet: only the package built by this test is checked');
  usable.push({ dir: writeTestPackage(work, 51, [40, 32]).dir, installed: false });
  return usable;
}

const targets: { target: FirmwareTarget; skip: string | undefined }[] = [
  { target: 'host-san', skip: undefined },
  { target: 'aarch64', skip: missingCrossTools('aarch64') },
  { target: 'rv32', skip: missingCrossTools('rv32') },
];

for (const { target, skip } of targets) {
  test(`${target}: the default models' int8 outputs equal onnxruntime's within 1 LSB on golden inputs, and the arena equals the planner's`, { skip }, async () => {
    const build = buildFirmware(target);
    for (const { dir, installed } of await packageDirs()) {
      const session = await openModelSession(dir);
      const { meta } = session;
      try {
        const blobFile = path.join(dir, meta.files.firmwareBlob!);
        const blob = readFileSync(blobFile);
        const [cmd, pre] = toolCommand(build, target, 'tm2_run');
        const info = execFileSync(cmd, [...pre, '--info', blobFile], { encoding: 'utf8' });
        const arena = Number(/arena_bytes=(\d+)/.exec(info)![1]);
        assert.equal(arena, meta.memory.peakActivationBytes, `${meta.id}: C arena = model.json memory.peakActivationBytes`);
        assert.equal(arena, blob.readUInt32LE(48), `${meta.id}: C arena = the blob header's arenaBytes`);

        const sets = Array.from({ length: SETS }, (_, k) => goldenInputs(meta, 20260413 + k));
        const inFile = path.join(work, 'in.bin');
        const outFile = path.join(work, 'out.bin');
        writeFileSync(inFile, Buffer.concat(sets.flat().map((a) => Buffer.from(a.buffer, a.byteOffset, a.length))));
        execFileSync(cmd, [...pre, blobFile, inFile, outFile], { stdio: ['ignore', 'pipe', 'pipe'] });
        const out = readFileSync(outFile);
        const perSet = out.length / SETS;
        let values = 0;
        let exact = 0;
        let worst = 0;
        for (const [s, inputs] of sets.entries()) {
          const expected = await session.run(inputs);
          const got = new Int8Array(out.buffer, out.byteOffset + s * perSet, expected.length);
          for (let i = 0; i < expected.length; i++) {
            const d = Math.abs(expected[i]! - got[i]!);
            worst = Math.max(worst, d);
            if (d === 0) exact++;
            values++;
          }
        }
        console.log(`${target} ${meta.id}${installed ? '' : ' (built by the test)'}: ${exact}/${values} logits bit-exact with onnxruntime, max |diff| ${worst}, arena ${arena} B`);
        assert.ok(worst <= 1, `${meta.id} on ${target}: max |diff| ${worst} LSB`);
      } finally {
        await session.release();
      }
    }
  });
}
