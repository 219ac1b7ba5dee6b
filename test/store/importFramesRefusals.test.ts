import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { importFrameFolder } from '../../src-main/api/handlers/retrainFrames';
import { ServiceError } from '../../src-main/api/dispatch';
import { encodeDepthPng } from '../../src-main/frames/depthFrame';
import { FrameError } from '../../src-main/frames/frameError';
import { encodeThermalPng } from '../../src-main/frames/thermalFrame';
import { checkConsistency } from '../../src-main/store/consistency';
import { importFrames } from '../../src-main/store/importFrames';
import { openStore } from '../../src-main/store/store';
import { chunk, ihdr, png, zerosDeflated } from '../frames/pngBuilder';

const root = mkdtempSync(join(tmpdir(), 'tinym2-import-refusals-'));
after(() => rmSync(root, { recursive: true, force: true }));

const depthPng = encodeDepthPng({ width: 8, height: 6, mm: new Uint16Array(48).fill(2000) });
const thermalPng = encodeThermalPng({ width: 4, height: 3, celsius: new Float32Array(12).fill(33) });

function blobCount(blobsDir: string): number {
  return readdirSync(blobsDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
}

test('a frame set whose manifest names files outside it, a device, a FIFO or a bomb stores only its good pair and names the rest', async () => {
  const set = join(root, 'set');
  mkdirSync(join(set, 'raw'), { recursive: true });
  writeFileSync(join(set, 'raw', 'a_d.png'), depthPng);
  writeFileSync(join(set, 'raw', 'a_t.png'), thermalPng);
  symlinkSync('/dev/zero', join(set, 'raw', 'zero_d.png'));
  execFileSync('mkfifo', [join(set, 'raw', 'fifo_t.png')]);
  writeFileSync(join(set, 'raw', 'bomb_d.png'), png(chunk('IHDR', ihdr(64, 64)), chunk('IDAT', await zerosDeflated(100 * 1024 * 1024)), chunk('IEND')));
  const manifest = join(set, 'manifest.csv');
  writeFileSync(manifest, [
    'subject,label,frame,depth,thermal',
    'p1,standing,a,raw/a_d.png,raw/a_t.png',
    'p2,standing,b,../../../etc/passwd,raw/a_t.png',
    'p3,sitting,c,raw/zero_d.png,raw/a_t.png',
    'p4,sitting,d,raw/a_d.png,raw/fifo_t.png',
    'p5,lying,e,raw/bomb_d.png,raw/a_t.png',
  ].join('\n'));

  const store = openStore({ dataDir: join(root, 'store') });
  try {
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const report = await importFrames(store, set);
    assert.ok(performance.now() - t0 < 5000, `${performance.now() - t0} ms`);
    assert.ok(process.memoryUsage().rss - rss0 < 200 * 1024 * 1024);
    assert.deepEqual(report.stored.map((s) => s.subject), ['p1']);
    assert.deepEqual(
      report.failed.map((f) => [f.file, f.reason]),
      [
        [`${manifest}:3`, 'refused'],
        [`${manifest}:4`, 'refused'],
        [join(set, 'raw', 'bomb_d.png'), 'too-large'],
        [join(set, 'raw', 'fifo_t.png'), 'refused'],
      ],
    );
    for (const f of report.failed) assert.ok(f.message.startsWith(`${f.file}: `), f.message);
    assert.deepEqual(report.failuresByReason, { refused: 3, 'too-large': 1 });
    assert.equal(blobCount(store.blobsDir), 2, 'only the good pair reaches the blob store');
    assert.deepEqual(checkConsistency(store, { verifyHashes: true }).unreferencedBlobs, []);
  } finally {
    store.close();
  }
});

test('a set whose manifest.json is a link is refused as a whole, the wizard naming the field and the file', async () => {
  const set = join(root, 'linked-json');
  mkdirSync(join(set, 'standing', 's01'), { recursive: true });
  writeFileSync(join(set, 'standing', 's01', '1_depth.png'), depthPng);
  writeFileSync(join(set, 'standing', 's01', '1_thermal.png'), thermalPng);
  symlinkSync('/dev/zero', join(set, 'manifest.json'));
  const store = openStore({ dataDir: join(root, 'store-json') });
  try {
    await assert.rejects(importFrames(store, set), (e: unknown) => e instanceof FrameError && e.reason === 'refused' && e.file === join(set, 'manifest.json'));
    await assert.rejects(importFrameFolder(store, set, 'ward'), (e: unknown) => e instanceof ServiceError && /^field 'source': .*manifest\.json: .*symbolic link/.test(e.message));
    assert.equal(blobCount(store.blobsDir), 0);
  } finally {
    store.close();
  }
});
