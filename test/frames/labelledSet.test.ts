import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeDepthPng } from '../../src-main/frames/depthFrame';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import { encodeGrey8Png } from '../../src-main/frames/png16';
import { encodeThermalPng } from '../../src-main/frames/thermalFrame';

const depthPng = (w: number, h: number, mm: number) => encodeDepthPng({ width: w, height: h, mm: new Uint16Array(w * h).fill(mm) });
const thermalPng = (w: number, h: number, c: number) => encodeThermalPng({ width: w, height: h, celsius: new Float32Array(w * h).fill(c) });

async function put(root: string, rel: string, bytes: Uint8Array | string): Promise<string> {
  const file = join(root, rel);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

test('folder layout: good pairs load, every bad file is reported with its reason, import carries on', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tinym2-set-'));
  await put(root, 'standing/s01/0001_depth.png', depthPng(8, 6, 2000));
  await put(root, 'standing/s01/0001_thermal.png', thermalPng(4, 3, 34));
  await put(root, 'standing/s02/0001_depth.png', depthPng(8, 6, 2100));
  await put(root, 'standing/s02/0001_thermal.csv', '30,31,32,33\n30,31,32,33\n30,31,32,33\n');
  await put(root, 'sitting/s01/0002_depth.png', depthPng(8, 6, 1800));
  await put(root, 'sitting/s01/0002_thermal.png', thermalPng(4, 3, 33));
  // Bad: truncated depth, 8-bit depth, a thermal frame without depth, a frame of the wrong size.
  const cut = depthPng(8, 6, 1800);
  const truncated = await put(root, 'sitting/s01/0003_depth.png', cut.subarray(0, cut.length - 20));
  await put(root, 'sitting/s01/0003_thermal.png', thermalPng(4, 3, 33));
  const eightBit = await put(root, 'sitting/s02/0004_depth.png', encodeGrey8Png(8, 6, new Uint8Array(48)));
  await put(root, 'sitting/s02/0004_thermal.png', thermalPng(4, 3, 33));
  const lonely = await put(root, 'sitting/s02/0005_thermal.png', thermalPng(4, 3, 33));
  const wrongSize = await put(root, 'sitting/s02/0006_depth.png', depthPng(16, 12, 1800));
  await put(root, 'sitting/s02/0006_thermal.png', thermalPng(4, 3, 33));
  await put(root, 'manifest.json', '{}');

  const { samples, report } = await importLabelledSet(root);
  assert.equal(report.layout, 'folders');
  assert.equal(report.loaded, 3);
  assert.deepEqual(report.perLabel, { sitting: 1, standing: 2 });
  assert.deepEqual(report.subjects, ['s01', 's02']);
  assert.deepEqual(
    report.problems.map((p) => [p.file, p.reason]),
    [
      [truncated, 'truncated'],
      [eightBit, 'bit-depth'],
      [lonely, 'unpaired'],
      [wrongSize, 'resolution'],
    ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
  );
  for (const p of report.problems) assert.ok(p.message.includes(p.file));
  const csvSample = samples.find((s) => s.thermalFile.endsWith('.csv'))!;
  assert.equal(csvSample.subject, 's02');
  assert.equal(csvSample.label, 'standing');
  assert.ok(Math.abs(csvSample.thermal.celsius[3]! - 33) < 1e-5);
});

test('with an input size the frames are resized (and the odd-sized one is no longer a problem)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tinym2-set-'));
  await put(root, 'lying/a/1_depth.png', depthPng(8, 6, 2000));
  await put(root, 'lying/a/1_thermal.png', thermalPng(8, 6, 30));
  await put(root, 'lying/a/2_depth.png', depthPng(16, 12, 2500));
  await put(root, 'lying/a/2_thermal.png', thermalPng(4, 3, 31));
  await put(root, 'lying/a/3_depth.png', depthPng(16, 9, 2500)); // 16:9 cannot become 4:3
  await put(root, 'lying/a/3_thermal.png', thermalPng(4, 3, 31));
  const { samples, report } = await importLabelledSet(root, { depthSize: { width: 4, height: 3 }, thermalSize: { width: 4, height: 3 } });
  assert.equal(samples.length, 2);
  for (const s of samples) {
    assert.equal(s.depth.width, 4);
    assert.equal(s.thermal.height, 3);
  }
  assert.equal(samples[1]!.depth.mm[0], 2500);
  assert.deepEqual(report.problems.map((p) => p.reason), ['resolution']);
});

test('CSV manifest: rows name their files relative to the manifest; malformed rows and missing files are reported', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tinym2-set-'));
  await put(root, 'raw/a_d.png', depthPng(8, 6, 1200));
  await put(root, 'raw/a_t.csv', '20,21\n22,23\n');
  await put(root, 'raw/b_d.png', depthPng(8, 6, 1300));
  await put(root, 'raw/b_t.csv', '20,21\n22,23\n');
  await put(root, 'manifest.csv', [
    'subject,label,frame,depth,thermal',
    'p1,fallen,a,raw/a_d.png,raw/a_t.csv',
    'p2,bending,b,raw/b_d.png,raw/b_t.csv',
    'p2,bending,,raw/b_d.png,raw/b_t.csv',
    'p3,lying,c,raw/missing_d.png,raw/b_t.csv',
    '',
  ].join('\n'));
  const { samples, report } = await importLabelledSet(root);
  assert.equal(report.layout, 'csv');
  assert.deepEqual(samples.map((s) => [s.subject, s.label, s.frame]), [['p1', 'fallen', 'a'], ['p2', 'bending', 'b']]);
  assert.deepEqual(report.problems.map((p) => p.reason).sort(), ['malformed', 'unreadable']);
  assert.ok(report.problems.some((p) => p.file.endsWith('manifest.csv:4')));
  assert.ok(report.problems.some((p) => p.file.endsWith('raw/missing_d.png')));
});
