import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeDepthPng, loadDepthFile } from '../../src-main/frames/depthFrame';
import { loadThermalFile } from '../../src-main/frames/thermalFrame';
import { generatePoseSet } from '../../src-main/posegen/poseSet';
import { blobPath, sha256Hex } from '../../src-main/store/blobStore';
import { checkConsistency } from '../../src-main/store/consistency';
import { importFrames } from '../../src-main/store/importFrames';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS, schemaVersion } from '../../src-main/store/migrations';
import { openStore } from '../../src-main/store/store';

let root = '';
let setDir = '';
const bad = { truncated: '', corrupt: '', resolution: '', unpaired: '' };

/** The generated set's files of one label and subject, sorted. */
function filesOf(label: string): { dir: string; files: string[] } {
  const subject = readdirSync(join(setDir, label)).sort()[0]!;
  const dir = join(setDir, label, subject);
  return { dir, files: readdirSync(dir).sort() };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tinym2-import-frames-'));
  setDir = join(root, 'set');
  await generatePoseSet({ out: setDir, n: 60, seed: 31, subjects: 5, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, sheetPerClass: 0 });
  // Real damage, each in a different pair: a cut-off depth PNG, a thermal PNG whose data is garbage, a
  // depth frame of another size than the set, and a depth frame whose thermal partner is missing.
  const labels = readdirSync(setDir).filter((d) => !d.includes('.')).sort();
  const last = filesOf(labels.at(-1)!);
  bad.truncated = join(last.dir, last.files[0]!);
  const whole = readFileSync(bad.truncated);
  writeFileSync(bad.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  bad.corrupt = join(last.dir, last.files.find((f) => f.endsWith('_thermal.png') && !f.startsWith(last.files[0]!.slice(0, 7)))!);
  const png = readFileSync(bad.corrupt);
  const garbage = Buffer.alloc(png.length - 20, 0x5a);
  writeFileSync(bad.corrupt, Buffer.concat([png.subarray(0, 8), garbage, png.subarray(png.length - 12)]));
  const other = filesOf(labels.at(-2)!);
  bad.resolution = join(other.dir, other.files.at(-2)!);
  assert.match(bad.resolution, /_depth\.png$/);
  writeFileSync(bad.resolution, encodeDepthPng({ width: 40, height: 30, mm: new Uint16Array(40 * 30).fill(2500) }));
  bad.unpaired = join(other.dir, 'extra_depth.png');
  copyFileSync(join(other.dir, other.files[0]!), bad.unpaired);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a generated frame set is stored pair by pair with its per-frame labels; bad files are named and skipped; a second import changes nothing', async () => {
  const dataDir = join(root, 'store-a');
  const store = openStore({ dataDir });
  try {
    const progress: string[] = [];
    const report = await importFrames(store, setDir, { onProgress: (done, total, phase) => progress.push(`${phase} ${done}/${total}`) });
    assert.equal(report.layout, 'folders');
    assert.equal(report.labelColumn, 'pose');
    const byFile = new Map(report.failed.map((f) => [f.file, f]));
    assert.equal(byFile.get(bad.truncated)?.reason, 'truncated');
    assert.equal(byFile.get(bad.corrupt)?.reason, 'corrupt');
    assert.equal(byFile.get(bad.resolution)?.reason, 'resolution');
    assert.equal(byFile.get(bad.unpaired)?.reason, 'unpaired');
    for (const f of report.failed) assert.ok(f.message.startsWith(`${f.file}: `), `message names the file: ${f.message}`);
    assert.equal(report.failed.length, 4);
    assert.deepEqual(report.failuresByReason, { truncated: 1, corrupt: 1, resolution: 1, unpaired: 1 });
    // 60 pairs, three of them damaged.
    assert.equal(report.stored.length, 57);
    assert.ok(report.stored.every((s) => s.newRow && s.newBlob && !s.relabelled));
    assert.ok(progress.includes('checking 60/60') && progress.at(-1) === 'storing 57/60', progress.slice(-2).join(', '));

    const rows = store.db.prepare('SELECT * FROM frame_pairs ORDER BY id').all() as Record<string, string | number>[];
    assert.equal(rows.length, 57);
    const manifest = JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')) as { samples: { frame: string; label: string; subject: string }[] };
    const truth = new Map(manifest.samples.map((s) => [`${s.subject}/${s.frame}`, s.label]));
    for (const r of rows) {
      assert.equal(r.label, truth.get(`${r.subject}/${r.frame_key}`), `frame ${r.subject}/${r.frame_key} keeps its own label`);
      assert.equal(r.label_column, 'pose');
      assert.deepEqual([r.depth_width, r.depth_height, r.thermal_width, r.thermal_height], [80, 60, 32, 24]);
      // The blobs are the original files' exact bytes.
      assert.deepEqual(readFileSync(blobPath(store.blobsDir, r.depth_sha256 as string)), readFileSync(r.depth_path as string));
      assert.equal(sha256Hex(readFileSync(r.thermal_path as string)), r.thermal_sha256);
      assert.deepEqual(JSON.parse(r.thermal_encoding as string), { kind: 'png16', kelvinPerCount: 0.01, offsetKelvin: 0 });
      const q = JSON.parse(r.quality as string) as { depthMissingFraction: number; thermalC: [number, number] };
      const depth = await loadDepthFile(r.depth_path as string);
      const thermal = await loadThermalFile(r.thermal_path as string, { encoding: { kind: 'png16' } });
      assert.equal(q.depthMissingFraction, Number((depth.mm.filter((v) => v === 0).length / depth.mm.length).toFixed(4)));
      assert.deepEqual(q.thermalC, [Number(Math.min(...thermal.celsius).toFixed(2)), Number(Math.max(...thermal.celsius).toFixed(2))]);
    }
    assert.equal(new Set(rows.map((r) => r.subject)).size, 5);
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM subjects').get() as { n: number }).n, 5);

    const again = await importFrames(store, setDir);
    assert.equal(again.stored.length, 57);
    assert.ok(again.stored.every((s) => !s.newRow && !s.newBlob && !s.relabelled));
    assert.deepEqual(again.failed, report.failed);
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM frame_pairs').get() as { n: number }).n, 57);

    const check = checkConsistency(store, { verifyHashes: true });
    assert.deepEqual(check.missingBlobs, []);
    assert.deepEqual(check.unreferencedBlobs, [], 'a damaged file never reaches the blob store');
  } finally {
    store.close();
  }
});

test('a CSV manifest relabels a stored pair; the consistency check names a pair whose blob went missing', async () => {
  const dataDir = join(root, 'store-b');
  const store = openStore({ dataDir });
  try {
    const first = await importFrames(store, setDir);
    const target = first.stored[0]!;
    const newLabel = target.label === 'fallen' ? 'lying' : 'fallen';
    const csv = join(root, 'relabel.csv');
    const rel = (f: string) => f.slice(root.length + 1);
    writeFileSync(
      csv,
      ['subject,label,frame,depth,thermal', ...first.stored.slice(0, 3).map((s, i) => [s.subject, i === 0 ? newLabel : s.label, s.frameKey, rel(s.depthFile), rel(s.thermalFile)].join(','))].join('\n'),
    );
    const relabel = await importFrames(store, setDir, { manifestCsv: csv });
    assert.equal(relabel.layout, 'csv');
    assert.deepEqual(relabel.stored.map((s) => [s.newRow, s.relabelled]), [[false, true], [false, false], [false, false]]);
    const row = store.db.prepare('SELECT label FROM frame_pairs WHERE id = ?').get(target.pairId) as { label: string };
    assert.equal(row.label, newLabel);
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM frame_pairs').get() as { n: number }).n, 57);

    rmSync(blobPath(store.blobsDir, target.thermalSha256));
    const check = checkConsistency(store);
    assert.deepEqual(check.missingBlobs, [{ table: 'frame_pairs', id: target.pairId, sha256: target.thermalSha256 }]);
    await assert.rejects(importFrames(store, join(root, 'nowhere')), /nowhere: no such frame set folder/);
  } finally {
    store.close();
  }
});

test('a store of the previous schema keeps its data and gains frame pairs when opened', async () => {
  const dataDir = join(root, 'store-old');
  mkdirSync(dataDir);
  const db = new Database(join(dataDir, 'store.sqlite'));
  migrate(db, MIGRATIONS.filter((m) => m.version < 3));
  db.prepare("INSERT INTO subjects (code, created_at) VALUES ('old-1', 'then')").run();
  db.close();
  const store = openStore({ dataDir });
  try {
    assert.equal(schemaVersion(store.db), 3);
    assert.equal((store.db.prepare("SELECT COUNT(*) AS n FROM subjects WHERE code = 'old-1'").get() as { n: number }).n, 1);
    const report = await importFrames(store, setDir);
    assert.equal(report.stored.length, 57);
  } finally {
    store.close();
  }
});
