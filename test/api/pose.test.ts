import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import type { ApiMethod, ApiResponse } from '../../src-main/api/contract';
import { dispatch, type DispatchResult, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { encodeGrey8Png } from '../../src-main/frames/png16';
import { repoRoot } from '../../src-main/storage/appPaths';
import { chunk, chunkAt, ihdr, png, zerosDeflated } from '../frames/pngBuilder';

const MODEL = 'pose-depth-thermal';
const dataDir = mkdtempSync(join(tmpdir(), 'tm2-pose-api-'));
const framesDir = mkdtempSync(join(tmpdir(), 'tm2-pose-frames-'));
const resourcesDir = join(repoRoot, 'resources');
let services: ServiceHandlers;
/** label → [depth file, thermal file] of one generated sample per class. */
const samples = new Map<string, [string, string]>();
/** Every generated sample (ten per class): enough that the accuracy check below is not a coin toss. */
const allPairs: { label: string; depth: string; thermal: string }[] = [];

before(() => {
  services = createServices({ paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events: new EventBus(), version: 'test' });
  execFileSync(process.execPath, [join(repoRoot, 'bin/tinym2.mjs'), 'generate-pose', '--out', framesDir, '--n', '60', '--seed', '7'], { stdio: 'pipe' });
  for (const label of readdirSync(framesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    for (const subject of readdirSync(join(framesDir, label)).sort()) {
      const dir = join(framesDir, label, subject);
      for (const depth of readdirSync(dir).filter((f) => f.endsWith('_depth.png')).sort()) {
        allPairs.push({ label, depth: join(dir, depth), thermal: join(dir, depth.replace(/_depth\.png$/, '_thermal.png')) });
      }
    }
    const first = allPairs.find((p) => p.label === label)!;
    samples.set(label, [first.depth, first.thermal]);
  }
});

const call = (method: string, request: unknown): Promise<DispatchResult> => dispatch(services, method, request);

async function ok<M extends ApiMethod>(method: M, request: unknown): Promise<ApiResponse<M>> {
  const r = await call(method, request);
  if (!r.ok) assert.fail(`${method} failed: ${r.error.message}`);
  return r.result as ApiResponse<M>;
}

async function fails(method: string, request: unknown, message: RegExp, field?: string): Promise<void> {
  const r = await call(method, request);
  assert.equal(r.ok, false, `${method} should fail`);
  if (r.ok) return;
  assert.match(r.error.message, message);
  if (field) assert.equal(r.error.field, field);
}

const upload = (role: 'depth' | 'thermal', fileName: string, bytes: Uint8Array) => ({ role, fileName, base64: Buffer.from(bytes).toString('base64') });

function pngFromDataUrl(url: string): ReturnType<typeof decode> {
  assert.match(url, /^data:image\/png;base64,/);
  return decode(Buffer.from(url.split(',')[1]!, 'base64'));
}

test('a generated pair uploads with false-colour previews and is classified with contributions from both', async () => {
  const [depthFile, thermalFile] = samples.get('standing')!;
  const depth = await ok('pose.uploadFrame', upload('depth', 'f_depth.png', readFileSync(depthFile)));
  const thermal = await ok('pose.uploadFrame', upload('thermal', 'f_thermal.png', readFileSync(thermalFile)));
  assert.deepEqual([depth.width, depth.height, depth.unit], [160, 120, 'mm']);
  assert.deepEqual([thermal.width, thermal.height, thermal.unit], [32, 24, 'celsius']);
  assert.ok(depth.min > 0 && depth.max <= 10_000 && depth.min < depth.max, `depth ${depth.min}…${depth.max} mm`);
  assert.ok(thermal.min > 5 && thermal.max < 45 && thermal.max - thermal.min > 5, `thermal ${thermal.min}…${thermal.max} °C (a warm person in a cooler room)`);
  assert.deepEqual([depth.preview.scaleUnit, depth.preview.scaleLabel, thermal.preview.scaleUnit, thermal.preview.scaleLabel], ['m', 'distance', '°C', 'temperature']);
  assert.ok(depth.preview.scaleMin < depth.preview.scaleMax && thermal.preview.scaleMin < thermal.preview.scaleMax);
  const img = pngFromDataUrl(depth.preview.image);
  assert.deepEqual([img.width, img.height, img.channels, img.depth], [160, 120, 3, 8]);
  const strip = pngFromDataUrl(thermal.preview.scale);
  assert.deepEqual([strip.width, strip.height], [256, 1]);
  // Ironbow runs dark (cold) to bright (warm).
  const lum = (i: number) => strip.data[i * 3]! + strip.data[i * 3 + 1]! + strip.data[i * 3 + 2]!;
  assert.ok(lum(255) > lum(0) + 300);
  // The frames live in the app's data folder only.
  assert.equal(readdirSync(join(dataDir, 'pose', 'frames')).filter((f) => f.startsWith(depth.frameId)).length, 2);

  const r = await ok('pose.classify', { modelId: MODEL, depthFrameId: depth.frameId, thermalFrameId: thermal.frameId });
  assert.deepEqual(r.labels, ['standing', 'sitting', 'lying', 'fallen', 'bending', 'hands_raised']);
  assert.ok(r.labels.includes(r.label));
  const total = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`);
  assert.equal(r.confidence, Math.max(...Object.values(r.probabilities)));
  assert.equal(r.probabilities[r.label], r.confidence);
  assert.deepEqual(Object.keys(r.contributions).sort(), ['depth', 'thermal']);
  assert.ok(Math.abs(r.contributions.depth! + r.contributions.thermal! - 1) < 1e-6);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.frames, { depth: 'f_depth.png', thermal: 'f_thermal.png' });
  assert.equal(r.model.id, MODEL);
  assert.match(r.model.version, /^\d+\.\d+\.\d+/);
});

test('the bundled model gets most generated poses right from both frames', async (t) => {
  let right = 0;
  for (const { label, depth: d, thermal: th } of allPairs) {
    const depth = await ok('pose.uploadFrame', upload('depth', `${label}_depth.png`, readFileSync(d)));
    const thermal = await ok('pose.uploadFrame', upload('thermal', `${label}_thermal.png`, readFileSync(th)));
    const r = await ok('pose.classify', { modelId: MODEL, depthFrameId: depth.frameId, thermalFrameId: thermal.frameId });
    if (r.label === label) right++;
  }
  // Chance is 1 in 6; the shipped model gets about 84 % of its held-out set right. Six samples were a coin
  // toss (at 84 %, 3 or fewer of 6 right happens for one generator seed in 18); sixty keep a good model
  // clear of the bar while 60 % still fails a broken one.
  assert.equal(allPairs.length, 60);
  assert.ok(right >= 36, `${right} of ${allPairs.length} poses right`);
  t.diagnostic(`${right} of ${allPairs.length} generated poses right`);
});

test('missing thermal still answers on depth alone and names what is missing', async () => {
  const [depthFile] = samples.get('lying')!;
  const depth = await ok('pose.uploadFrame', upload('depth', 'only_depth.png', readFileSync(depthFile)));
  const r = await ok('pose.classify', { modelId: MODEL, depthFrameId: depth.frameId });
  assert.deepEqual(r.missing, [{ modality: 'thermal', reason: 'no thermal frame was loaded' }]);
  assert.deepEqual(Object.keys(r.contributions), ['depth']);
  assert.equal(r.contributions.depth, 1);
  assert.ok(r.confidence > 0 && r.confidence <= 1);
});

test('bad frames are refused with a message naming the file', async () => {
  const [depthFile, thermalFile] = samples.get('sitting')!;
  const grey8 = encodeGrey8Png(40, 30, new Uint8Array(1200).fill(90));
  await fails('pose.uploadFrame', upload('depth', 'preview_depth.png', grey8), /preview_depth\.png: depth PNG must be 16-bit millimetres, found 8-bit/);
  await fails('pose.uploadFrame', upload('thermal', 'cam_thermal.png', grey8), /cam_thermal\.png: 8-bit thermal PNG has no temperatures of its own.*field 'thermalRangeC'/);
  const full = readFileSync(depthFile);
  await fails('pose.uploadFrame', upload('depth', 'cut_depth.png', full.subarray(0, Math.floor(full.length / 2))), /cut_depth\.png: PNG is truncated/);
  await fails('pose.uploadFrame', upload('thermal', 'notes_thermal.png', new TextEncoder().encode('hello')), /notes_thermal\.png: not a PNG file/);
  // A thermal file loaded as depth: centi-kelvin counts (~30 000) are far beyond any depth sensor.
  await fails('pose.uploadFrame', upload('depth', 'swapped.png', readFileSync(thermalFile)), /swapped\.png: depth \d+ mm at pixel \(\d+, \d+\) exceeds the sensor limit/);
  // With its range declared, an 8-bit thermal picture is usable.
  const declared = await ok('pose.uploadFrame', { ...upload('thermal', 'cam_thermal.png', grey8), thermalRangeC: { minC: 10, maxC: 40 } });
  assert.ok(Math.abs(declared.min - (10 + (90 * 30) / 255)) < 0.01);
});

test('a PNG claiming 65535 × 65535 pixels, a decompression bomb and a damaged CRC are refused fast, naming the file', async () => {
  const giant = png(chunk('IHDR', ihdr(65535, 65535)), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND'));
  const bomb = png(chunk('IHDR', ihdr(64, 64)), chunk('IDAT', await zerosDeflated(100 * 1024 * 1024)), chunk('IEND'));
  const damaged = Buffer.from(readFileSync(samples.get('standing')![0]));
  damaged[chunkAt(damaged, 'IDAT').start + 10]! ^= 0x40;
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await fails('pose.uploadFrame', upload('depth', 'giant_depth.png', giant), /^giant_depth\.png: the PNG claims 65535 × 65535 pixels; frames are at most 4096 × 4096$/);
  await fails('pose.uploadFrame', upload('thermal', 'bomb_thermal.png', bomb), /^bomb_thermal\.png: the PNG's image data inflates to more than the 8256 bytes its 64 × 64 header allows/);
  await fails('pose.uploadFrame', upload('depth', 'crc_depth.png', damaged), /^crc_depth\.png: the PNG's IDAT chunk at byte \d+ fails its CRC check/);
  // The messages are the structural facts: refused from the header, inflation stopped at the 8256 bytes
  // the header allows, the CRC checked before anything is inflated. Time and memory only back them up,
  // with room for a loaded 2-core CI machine and for a GC that has not run yet: the 65535 × 65535 frame
  // once asked for 8 GB, far above either bound.
  const ms = performance.now() - t0;
  const grewMb = (process.memoryUsage().rss - rss0) / 1024 / 1024;
  assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
  assert.ok(grewMb < 500, `the process grew ${grewMb.toFixed(0)} MB`);
});

test('requests are validated and errors name the field', async () => {
  await fails('pose.uploadFrame', { role: 'infrared', fileName: 'a.png', base64: 'AAAA' }, /field 'role'/, 'role');
  await fails('pose.uploadFrame', { role: 'depth', fileName: '', base64: 'AAAA' }, /field 'fileName'/, 'fileName');
  await fails('pose.uploadFrame', { role: 'depth', fileName: 'a.png', base64: 'not base64!' }, /field 'base64'.*base64/, 'base64');
  await fails('pose.uploadFrame', { role: 'depth', fileName: 'a.png', base64: 'A'.repeat(7_000_004) }, /field 'base64'.*at most 5 MB/, 'base64');
  await fails('pose.classify', { modelId: MODEL }, /field 'depthFrameId'.*load a depth frame, a thermal frame or both/, 'depthFrameId');
  await fails('pose.classify', { modelId: MODEL, thermalFrameId: 'abc' }, /field 'thermalFrameId'.*frame id/, 'thermalFrameId');
  await fails('pose.classify', { modelId: MODEL, depthFrameId: '00000000-0000-4000-8000-000000000000' }, /field 'depthFrameId': no depth frame with id/);
  await fails('pose.classify', { modelId: 'no-such-model', depthFrameId: '00000000-0000-4000-8000-000000000000' }, /field 'modelId': no model with id 'no-such-model'/);
  await fails('pose.classify', { modelId: 'coswara-gender-audio', depthFrameId: '00000000-0000-4000-8000-000000000000' }, /field 'modelId'.*not a pose model/);
  const [, thermalFile] = samples.get('fallen')!;
  const thermal = await ok('pose.uploadFrame', upload('thermal', 't_thermal.png', readFileSync(thermalFile)));
  await fails('pose.classify', { modelId: MODEL, depthFrameId: thermal.frameId }, /field 'depthFrameId'.*t_thermal\.png.*thermal frame, not depth/);
});
