import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { decodeGreyPng } from '../../src-main/frames/png16';
import { importLabelledSet } from '../../src-main/frames/labelledSet';
import { POSE_CLASSES } from '../../src-main/posegen/poseClass';
import { generatePoseSet, type PoseSetOptions } from '../../src-main/posegen/poseSet';

const N = 60;
const base = { n: N, seed: 7, depthSize: { width: 80, height: 60 }, thermalSize: { width: 32, height: 24 }, subjects: 5, sheetPerClass: 2 } as const;

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      if (d.isDirectory()) await walk(join(dir, d.name));
      else out.push(relative(root, join(dir, d.name)));
    }
  };
  await walk(root);
  return out.sort();
}

const scratch: string[] = [];
after(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tinym2-posegen-'));
  scratch.push(dir);
  return dir;
}

async function generate(overrides: Partial<PoseSetOptions> = {}): Promise<string> {
  const out = join(await scratchDir(), 'set');
  await generatePoseSet({ ...base, out, ...overrides });
  return out;
}

const first = generate();

test('the same options give byte-identical files; another seed gives different frames', async () => {
  const a = await first;
  const b = await generate();
  const files = await listFiles(a);
  assert.deepEqual(await listFiles(b), files);
  assert.equal(files.filter((f) => f.endsWith('_depth.png')).length, N);
  assert.equal(files.filter((f) => f.endsWith('_thermal.png')).length, N);
  assert.ok(files.includes('manifest.json') && files.includes('contact-sheet.png'));
  for (const f of files) assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} differs between two runs with seed 7`);

  const c = await generate({ seed: 8, subjectSeed: 7 });
  let differing = 0;
  for (const f of (await listFiles(c)).filter((f) => f.endsWith('.png') && files.includes(f))) {
    if (!(await readFile(join(a, f))).equals(await readFile(join(c, f)))) differing++;
  }
  const shared = (await listFiles(c)).filter((f) => f.endsWith('_depth.png') || f.endsWith('_thermal.png')).length;
  assert.equal(shared, 2 * N, 'same layout for another seed (same subjects, same classes)');
  assert.equal(differing, 2 * N + 1, 'every frame and the contact sheet change with the seed');
});

test('everything written loads through importLabelledSet, balanced over classes and subjects', async () => {
  const out = await first;
  const { samples, report } = await importLabelledSet(out);
  assert.deepEqual(report.problems, []);
  assert.equal(report.loaded, N);
  assert.deepEqual(report.perLabel, Object.fromEntries(POSE_CLASSES.map((c) => [c, N / POSE_CLASSES.length])));
  assert.deepEqual(report.subjects, ['s7-000', 's7-001', 's7-002', 's7-003', 's7-004']);
  for (const s of samples) {
    assert.equal(s.depth.width, 80);
    assert.equal(s.depth.height, 60);
    assert.equal(s.thermal.width, 32);
    assert.equal(s.thermal.height, 24);
    // Room air is 18–26 °C, radiators at most 65 °C: a sane thermal frame, read back through centi-kelvin.
    const t = [...s.thermal.celsius];
    assert.ok(Math.min(...t) > 5 && Math.max(...t) < 70, `${s.thermalFile}: ${Math.min(...t).toFixed(1)}…${Math.max(...t).toFixed(1)} °C`);
  }
  // Every subject appears in every class, so a per-subject split keeps the classes balanced.
  for (const subject of report.subjects) assert.equal(new Set(samples.filter((s) => s.subject === subject).map((s) => s.label)).size, POSE_CLASSES.length);

  const png = decodeGreyPng(await readFile(join(out, 'standing/s7-000/f000000_depth.png')), 'depth');
  assert.equal(png.bitDepth, 16);
  assert.equal(png.text['tinym2.unit'], 'mm');

  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
    seed: number;
    subjectSeed: number;
    thermalEncoding: { kind: string };
    samples: { frame: string; label: string; subject: string; index: number; depthCamera: { position: number[] }; depthSensor: { maxMm: number } }[];
  };
  assert.equal(manifest.seed, 7);
  assert.equal(manifest.subjectSeed, 7);
  assert.equal(manifest.thermalEncoding.kind, 'png16');
  assert.equal(manifest.samples.length, N);
  const m = manifest.samples[13]!;
  assert.equal(m.index, 13);
  assert.equal(m.frame, 'f000013');
  assert.equal(m.label, POSE_CLASSES[13 % POSE_CLASSES.length]);
  const camHeight = m.depthCamera.position[1]!;
  assert.ok(camHeight >= 1.2 && camHeight <= 2.6, `camera at ${camHeight} m`);
});

test('a held-out set from another subject seed shares no subject with the training set', async () => {
  const train = await importLabelledSet(await first);
  const heldOut = await importLabelledSet(await generate({ seed: 1007, subjectSeed: 1007, n: 12, classes: ['standing', 'fallen'] }));
  assert.deepEqual(heldOut.report.problems, []);
  assert.deepEqual(heldOut.report.perLabel, { standing: 6, fallen: 6 });
  const trainSubjects = new Set(train.report.subjects);
  assert.ok(heldOut.report.subjects.length > 0 && heldOut.report.subjects.every((s) => !trainSubjects.has(s)), heldOut.report.subjects.join(','));
});

test('contact sheet is an RGB PNG with a row per class', async () => {
  const bytes = await readFile(join(await first, 'contact-sheet.png'));
  // PNG IHDR: width at byte 16, height at 20, colour type 2 (RGB) at 25.
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  assert.equal(bytes[25], 2);
  assert.ok(width >= 2 * 2 * 160, `sheet width ${width}`);
  assert.ok(height >= POSE_CLASSES.length * 120, `sheet height ${height}`);
});

test('bad options are refused by name; an existing set is not overwritten without replace', async () => {
  const out = join(await scratchDir(), 'set');
  await assert.rejects(generatePoseSet({ ...base, out, n: 0 }), /n must be a whole number from 1/);
  await assert.rejects(generatePoseSet({ ...base, out, depthSize: { width: 80.5, height: 60 } }), /depthSize\.width/);
  await assert.rejects(generatePoseSet({ ...base, out, classes: ['standing', 'dancing' as 'standing'] }), /classes: unknown pose class 'dancing'/);
  await mkdir(out);
  await writeFile(join(out, 'keep.txt'), 'mine');
  await assert.rejects(generatePoseSet({ ...base, out, n: 6 }), /already exists and is not empty/);
  assert.equal(await readFile(join(out, 'keep.txt'), 'utf8'), 'mine');
  await generatePoseSet({ ...base, out, n: 6, replace: true });
  assert.deepEqual((await readdir(out)).sort(), ['bending', 'contact-sheet.png', 'fallen', 'hands_raised', 'lying', 'manifest.json', 'sitting', 'standing']);
  assert.deepEqual((await readdir(join(out, '..'))).sort(), ['set'], 'no staging or old folders left behind');
});
