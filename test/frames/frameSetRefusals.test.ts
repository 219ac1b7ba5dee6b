import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeDepthPng, loadDepthFile } from '../../src-main/frames/depthFrame';
import { FrameError } from '../../src-main/frames/frameError';
import { readFrameFile } from '../../src-main/frames/frameFile';
import { isFrameSet } from '../../src-main/frames/frameSetLayout';
import { declaredThermalEncoding, importLabelledSet } from '../../src-main/frames/labelledSet';
import { encodeThermalPng, loadThermalFile } from '../../src-main/frames/thermalFrame';

const depthPng = encodeDepthPng({ width: 8, height: 6, mm: new Uint16Array(48).fill(2000) });
const thermalPng = encodeThermalPng({ width: 4, height: 3, celsius: new Float32Array(12).fill(33) });

function put(file: string, bytes: Uint8Array | string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

function fifo(file: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  execFileSync('mkfifo', [file]);
  return file;
}

/** A folder outside every set, holding good frames a link could lead to. */
function outsideFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-outside-'));
  put(join(dir, 'x_depth.png'), depthPng);
  put(join(dir, 'x_thermal.png'), thermalPng);
  put(join(dir, 's09', 'x_depth.png'), depthPng);
  put(join(dir, 's09', 'x_thermal.png'), thermalPng);
  return dir;
}

async function frameErrorFrom(work: () => unknown): Promise<FrameError> {
  try {
    await work();
  } catch (e) {
    assert.ok(e instanceof FrameError, `expected a FrameError, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    return e;
  }
  assert.fail('expected a FrameError, nothing was thrown');
}

test('manifest rows that climb out, are absolute, lead through a link, or name a device, link or FIFO are refused by row; good rows load', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tinym2-refuse-csv-'));
  const outside = outsideFolder();
  put(join(root, 'raw', 'a_d.png'), depthPng);
  put(join(root, 'raw', 'a_t.png'), thermalPng);
  symlinkSync('/dev/zero', join(root, 'raw', 'zero_d.png'));
  const pipe = fifo(join(root, 'raw', 'fifo_d.png'));
  const innerLink = join(root, 'raw', 'inside_d.png');
  symlinkSync(join(root, 'raw', 'a_d.png'), innerLink);
  symlinkSync(outside, join(root, 'raw', 'outlink'));
  const manifest = put(join(root, 'manifest.csv'), [
    'subject,label,frame,depth,thermal',
    'p1,standing,a,raw/a_d.png,raw/a_t.png',
    'p2,sitting,b,../../etc/passwd,raw/a_t.png',
    'p3,lying,c,raw/a_d.png,/etc/passwd',
    'p4,fallen,d,raw/zero_d.png,raw/a_t.png',
    'p5,fallen,e,raw/fifo_d.png,raw/a_t.png',
    'p6,bending,f,raw/inside_d.png,raw/a_t.png',
    'p7,bending,g,raw/a_d.png,raw/outlink/x_thermal.png',
    'p8,bending,h,raw\\a_d.png,raw/a_t.png', // a Windows-made row: tidied to raw/a_d.png, and loads
    '',
  ].join('\n'));

  const t0 = performance.now();
  const { samples, report } = await importLabelledSet(root);
  // A FIFO waited on would hang until the test timeout, /dev/zero read would take a minute and GBs:
  // seconds of slack keep a loaded CI machine from failing this while still catching either.
  assert.ok(performance.now() - t0 < 5000, 'a FIFO or /dev/zero must never be waited on or read');
  assert.deepEqual(samples.map((s) => s.subject), ['p1', 'p8']);
  const byFile = new Map(report.problems.map((p) => [p.file, p]));
  const row = (n: number) => byFile.get(`${manifest}:${n}`);
  assert.match(row(3)!.message, new RegExp(`^${manifest}:3: the depth path "\\.\\./\\.\\./etc/passwd" climbs out of its folder`));
  assert.match(row(4)!.message, /:4: the thermal path "\/etc\/passwd" is an absolute path/);
  assert.match(row(5)!.message, /:5: the depth path "raw\/zero_d\.png" leads outside .* through a symbolic link/);
  assert.match(row(8)!.message, /:8: the thermal path "raw\/outlink\/x_thermal\.png" leads outside .* through a symbolic link/);
  assert.match(byFile.get(pipe)!.message, /not a regular file/);
  assert.match(byFile.get(innerLink)!.message, /symbolic link/);
  assert.deepEqual(
    report.problems.map((p) => p.reason),
    report.problems.map(() => 'refused'),
  );
  assert.equal(report.problems.length, 6);
});

test('folder layout: symlinked label and subject folders and linked or special frame files are reported, not followed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tinym2-refuse-dirs-'));
  const outside = outsideFolder();
  put(join(root, 'standing', 's01', '0001_depth.png'), depthPng);
  put(join(root, 'standing', 's01', '0001_thermal.png'), thermalPng);
  const zero = join(root, 'standing', 's01', '0002_depth.png');
  symlinkSync('/dev/zero', zero);
  put(join(root, 'standing', 's01', '0002_thermal.png'), thermalPng);
  const pipe = fifo(join(root, 'standing', 's01', '0003_depth.png'));
  put(join(root, 'standing', 's01', '0003_thermal.png'), thermalPng);
  const linkedSubject = join(root, 'standing', 's02');
  symlinkSync(join(outside, 's09'), linkedSubject);
  const linkedLabel = join(root, 'sitting');
  symlinkSync(outside, linkedLabel);

  const { report } = await importLabelledSet(root);
  assert.equal(report.loaded, 1);
  assert.deepEqual(report.subjects, ['s01']);
  const refused = report.problems.filter((p) => p.reason === 'refused');
  assert.deepEqual(refused.map((p) => p.file).sort(), [zero, pipe, linkedSubject, linkedLabel].sort());
  for (const p of refused) assert.ok(p.message.startsWith(`${p.file}: `), p.message);
  assert.match(refused.find((p) => p.file === linkedLabel)!.message, /symbolic link, which is not followed/);
  assert.match(refused.find((p) => p.file === pipe)!.message, /not a regular file/);
  // Their thermal partners are left without a depth frame, and say so.
  assert.equal(report.problems.filter((p) => p.reason === 'unpaired').length, 2);
});

test('frame reads: devices, FIFOs and oversized files are refused fast; a link the person picked is followed, one named by a folder is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinym2-refuse-read-'));
  const good = put(join(dir, 'a_depth.png'), depthPng);
  const link = join(dir, 'link_depth.png');
  symlinkSync(good, link);
  const t0 = performance.now();
  const dev = await frameErrorFrom(() => loadDepthFile('/dev/zero'));
  assert.deepEqual([dev.file, dev.reason], ['/dev/zero', 'refused']);
  const pipe = fifo(join(dir, 'p_thermal.png'));
  const p = await frameErrorFrom(() => loadThermalFile(pipe));
  assert.deepEqual([p.file, p.reason], [pipe, 'refused']);
  // A sparse 65 MB file: over the 64 MB frame cap, refused from its size without reading it.
  const big = join(dir, 'big_depth.png');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 65 * 1024 * 1024);
  closeSync(fd);
  const b = await frameErrorFrom(() => loadDepthFile(big));
  assert.deepEqual([b.file, b.reason], [big, 'too-large']);
  assert.match(b.message, /65 MB, more than the 64 MB/);
  assert.ok(performance.now() - t0 < 5000, 'refused from fstat, never read (a read of /dev/zero or a FIFO never ends)');
  assert.equal((await loadDepthFile(link)).width, 8);
  const l = await frameErrorFrom(() => readFrameFile(link, { insideFolder: true }));
  assert.deepEqual([l.file, l.reason], [link, 'refused']);
  const missing = await frameErrorFrom(() => loadDepthFile(join(dir, 'gone_depth.png')));
  assert.equal(missing.message, `${join(dir, 'gone_depth.png')}: file not found`);
});

test('manifest.csv and manifest.json: a link or FIFO is refused naming it; a bad thermalEncoding names its field', async () => {
  const outside = outsideFolder();
  const linked = mkdtempSync(join(tmpdir(), 'tinym2-refuse-manifest-'));
  put(join(outside, 'manifest.csv'), 'subject,label,frame,depth,thermal\np1,standing,a,x_depth.png,x_thermal.png\n');
  symlinkSync(join(outside, 'manifest.csv'), join(linked, 'manifest.csv'));
  // The layout check cannot read it either, so it hands the folder to the frame import, which says why.
  assert.equal(isFrameSet(linked), true);
  const e = await frameErrorFrom(() => importLabelledSet(linked));
  assert.deepEqual([e.file, e.reason], [join(linked, 'manifest.csv'), 'refused']);

  const piped = mkdtempSync(join(tmpdir(), 'tinym2-refuse-manifest-'));
  fifo(join(piped, 'manifest.csv'));
  assert.equal((await frameErrorFrom(() => importLabelledSet(piped))).reason, 'refused');

  const json = mkdtempSync(join(tmpdir(), 'tinym2-refuse-json-'));
  symlinkSync('/dev/zero', join(json, 'manifest.json'));
  const j = await frameErrorFrom(() => declaredThermalEncoding(json));
  assert.deepEqual([j.file, j.reason], [join(json, 'manifest.json'), 'refused']);

  const typed = mkdtempSync(join(tmpdir(), 'tinym2-refuse-json-'));
  put(join(typed, 'manifest.json'), JSON.stringify({ thermalEncoding: { kind: 'png16', kelvinPerCount: 'lots' } }));
  const t = await frameErrorFrom(() => declaredThermalEncoding(typed));
  assert.equal(t.reason, 'encoding');
  assert.match(t.message, /manifest\.json: field 'thermalEncoding\.kelvinPerCount'/);
  put(join(typed, 'manifest.json'), JSON.stringify({ thermalEncoding: { kind: 'png8', minC: 10, maxC: 40 }, seed: 3 }));
  assert.deepEqual(await declaredThermalEncoding(typed), { kind: 'png8', minC: 10, maxC: 40 });
  // Another tool's manifest.json (not JSON, or without thermalEncoding) still means "decide by extension".
  put(join(typed, 'manifest.json'), 'not json');
  assert.equal(await declaredThermalEncoding(typed), undefined);
  assert.equal(await declaredThermalEncoding(mkdtempSync(join(tmpdir(), 'tinym2-refuse-json-'))), undefined);
});

test('the layout check enters only real folders', () => {
  const outside = outsideFolder();
  const root = mkdtempSync(join(tmpdir(), 'tinym2-refuse-layout-'));
  mkdirSync(join(root, 'standing'));
  symlinkSync(join(outside, 's09'), join(root, 'standing', 's01'));
  assert.equal(isFrameSet(root), false);
  put(join(root, 'standing', 's02', '1_depth.png'), depthPng);
  assert.equal(isFrameSet(root), true);
});
