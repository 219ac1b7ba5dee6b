import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { importWav } from '../../src-main/audio/wavImport';
import { quantizeTensorValues } from '../../src-main/compress/quantize';
import { DEFAULT_AUDIO_FEATURES, logMelSpectrogram } from '../../src-main/dsp/melSpectrogram';
import { writeFirmwareBlob } from '../../src-main/export/firmwareBlob';
import { exportInt8GraphToOnnx } from '../../src-main/export/onnxInt8';
import type { Int8Graph } from '../../src-main/graph/int8Graph';
import { parseInt8Graph } from '../../src-main/graph/int8GraphJson';
import type { AudioFeatureParams, ModelPackageMeta } from '../../src-main/models/packageMeta';
import { planMemory } from '../../src-main/planner/planMemory';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
import { randomTwoBranchGraph } from '../fixtures/randomInt8Graph';
import { buildFirmware, missingCrossTools, repoRoot, tempDir } from './buildFirmware';

const RECORDING: Record<string, string> = { cough: 'cough-heavy.wav', speech: 'counting-normal.wav', breathing: 'breathing-deep.wav' };
/** |C − app| on the natural-log features; the FFTs differ (radix-2 here, fft.js radix-4) only in rounding. */
const LOG_TOLERANCE = 1e-3;
/** Fixed point, ln units: everywhere, and where the mel power is ≥ 100 × the floor (FFT rounding matters less there). */
const FX_TOLERANCE = 0.02;
const FX_TOLERANCE_ABOVE_FLOOR = 0.005;

const build = coswaraSkip ? '' : buildFirmware('host-san');
const work = tempDir('tm2-logmel-test-');

/** 16 kHz participants only: the C front end does not resample (the device records at 16 kHz). */
let found: Promise<{ id: string; dir: string }[]> | undefined;
function recordings16k(limit: number): Promise<{ id: string; dir: string }[]> {
  found ??= findRecordings16k(6);
  return found.then((all) => all.slice(0, limit));
}

async function findRecordings16k(limit: number): Promise<{ id: string; dir: string }[]> {
  const out: { id: string; dir: string }[] = [];
  for (const id of readdirSync(COSWARA_DIR).sort()) {
    const dir = path.join(COSWARA_DIR, id);
    if (!Object.values(RECORDING).every((f) => existsSync(path.join(dir, f)))) continue;
    const recs = await Promise.all(Object.values(RECORDING).map((f) => importWav(path.join(dir, f))));
    if (recs.every((r) => r.source.sampleRate === 16000 && r.source.channels === 1 && r.source.bitsPerSample === 16)) out.push({ id, dir });
    if (out.length === limit) break;
  }
  return out;
}

interface CFeatures {
  /** Float front end: natural-log features and the int8 input. */
  readonly features: Float32Array;
  readonly input: Int8Array;
  /** Fixed-point front end (logmel_fx.c): natural-log features (from Q16) and the int8 input. */
  readonly fxLn: Float64Array;
  readonly fxInput: Int8Array;
}

function cFeatures(samples: Float32Array, p: AudioFeatureParams, scale: number, zeroPoint: number): CFeatures {
  const raw = path.join(work, 'samples.s16');
  const pcm = Buffer.alloc(samples.length * 2);
  // The app's samples are int16 / 32768 exactly, so this recovers the file's integers.
  samples.forEach((s, i) => pcm.writeInt16LE(Math.round(s * 32768), i * 2));
  writeFileSync(raw, pcm);
  const f32 = path.join(work, 'features.f32');
  const i8 = path.join(work, 'input.i8');
  const fxI8 = path.join(work, 'input-fx.i8');
  const fxLn = path.join(work, 'ln-fx.q16');
  const args = [raw, f32, i8, p.sampleRate, p.windowMs, p.hopMs, p.fftSize, p.melBands, p.fMin, p.fMax, p.frames, p.trimDb ?? 'none', p.logFloor ?? 1e-10, scale, zeroPoint, fxI8, fxLn].map(String);
  execFileSync(path.join(build, 'host', 'logmel_run'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const fb = readFileSync(f32);
  const ib = readFileSync(i8);
  const xb = readFileSync(fxI8);
  const lb = readFileSync(fxLn);
  const q16 = new Int32Array(lb.buffer, lb.byteOffset, lb.length / 4);
  return {
    features: new Float32Array(fb.buffer, fb.byteOffset, fb.length / 4),
    input: new Int8Array(ib.buffer, ib.byteOffset, ib.length),
    fxLn: Float64Array.from(q16, (v) => v / 65536),
    fxInput: new Int8Array(xb.buffer, xb.byteOffset, xb.length),
  };
}

test('C log-mel front ends (float, and fixed point for GAP8) match the app’s features on real 16 kHz Coswara recordings', { skip: coswaraSkip }, async () => {
  const people = await recordings16k(5);
  assert.ok(people.length >= 4, `found ${people.length} all-16 kHz participants`);
  let maxDiff = 0;
  let values = 0;
  let int8Equal = 0;
  let content = 0;
  let fxMax = 0;
  let fxMaxAboveFloor = 0;
  let fxEqual = 0;
  let fxOff = 0;
  for (const { dir } of people) {
    for (const [modality, file] of Object.entries(RECORDING)) {
      const p = DEFAULT_AUDIO_FEATURES[modality as keyof typeof DEFAULT_AUDIO_FEATURES];
      const rec = await importWav(path.join(dir, file));
      const app = logMelSpectrogram(rec.samples, p, rec.sampleRate).data;
      const scale = 0.08;
      const c = cFeatures(rec.samples, p, scale, 45);
      assert.equal(c.features.length, app.length);
      const appInt8 = quantizeTensorValues(app, { scales: [scale], zeroPoint: 45 });
      for (let i = 0; i < app.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(app[i]! - c.features[i]!));
        if (appInt8[i] === c.input[i]) int8Equal++;
        else assert.ok(Math.abs(appInt8[i]! - c.input[i]!) <= 1, `int8 input differs by more than 1 step in ${file}`);
      }
      for (let i = 0; i < app.length; i++) {
        const d = Math.abs(app[i]! - c.fxLn[i]!);
        fxMax = Math.max(fxMax, d);
        // 20 dB over the floor the FFT's rounding no longer matters: there the error is the log table's.
        if (app[i]! > Math.log(p.logFloor ?? 1e-10) + Math.log(100)) fxMaxAboveFloor = Math.max(fxMaxAboveFloor, d);
        const q = Math.abs(appInt8[i]! - c.fxInput[i]!);
        if (q === 0) fxEqual++;
        else if (q === 1) fxOff++;
        else assert.fail(`${file}: fixed-point int8 input ${c.fxInput[i]} vs app ${appInt8[i]} at ${i}`);
      }
      values += app.length;
      const fill = Math.fround(Math.log(p.logFloor ?? 1e-10));
      content += app.filter((v) => v !== fill).length;
    }
  }
  console.log(`C vs app log-mel: ${people.length * 3} recordings, ${values} values, max |diff| ${maxDiff.toExponential(2)}, int8 equal ${int8Equal}/${values}`);
  assert.ok(maxDiff <= LOG_TOLERANCE, `max |diff| ${maxDiff} > ${LOG_TOLERANCE}`);
  console.log(
    `fixed point vs app: max |ln diff| ${fxMax.toFixed(4)} (${fxMaxAboveFloor.toFixed(5)} 20 dB above the floor), int8 equal ${fxEqual}/${values}, off by 1: ${fxOff}, worse: 0`,
  );
  assert.ok(fxMax <= FX_TOLERANCE, `fixed point: max |ln diff| ${fxMax}`);
  assert.ok(fxMaxAboveFloor <= FX_TOLERANCE_ABOVE_FLOOR, `fixed point: max |ln diff| ${fxMaxAboveFloor} above the floor`);
  assert.ok(fxEqual >= values * 0.99, 'fixed point: ≥ 99 % of int8 inputs equal the app’s');
  assert.ok(content > values / 3, `compared mostly real content (${content} of ${values} values), not padding`);
});

interface AudioModel {
  readonly graph: Int8Graph;
  readonly modalities: { name: string; params: AudioFeatureParams }[];
  readonly source: string;
}

/** The real default audio model when it is installed, else a random two-branch graph on feature-sized inputs. */
function audioModel(): AudioModel {
  const dir = path.join(repoRoot, 'resources', 'models', 'coswara-gender-audio');
  if (existsSync(path.join(dir, 'int8-graph.json'))) {
    const meta = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelPackageMeta;
    const file = path.join(dir, meta.files.int8Graph ?? 'int8-graph.json');
    const graph = parseInt8Graph(readFileSync(file, 'utf8'), file);
    return { graph, modalities: meta.modalities.map((m) => ({ name: m.name, params: m.features as AudioFeatureParams })), source: dir };
  }
  const params = { ...DEFAULT_AUDIO_FEATURES.cough, frames: 64 };
  const base = randomTwoBranchGraph(5, [64, 40]);
  // Input quantization covering the log-mel range (log 1e-6 ≈ −13.8 up to about +6.5).
  const tensors = base.tensors.map((t) => (base.inputs.includes(t.id) ? { ...t, quant: { scales: [0.08], zeroPoint: 45 } } : t));
  const softmax = base.ops.find((op) => op.kind === 'softmax')!;
  const graph: Int8Graph = { ...base, tensors, outputs: [softmax.input] };
  return { graph, modalities: base.modalities.map((name) => ({ name, params })), source: 'random two-branch graph (resources/models/coswara-gender-audio not installed)' };
}

test('end to end: C features → int8 → C runtime gives the app’s class (TS features → onnxruntime) on real recordings', { skip: coswaraSkip }, async () => {
  const model = audioModel();
  const { graph } = model;
  const blobFile = path.join(work, 'model.tm2b');
  writeFileSync(blobFile, writeFirmwareBlob(graph, planMemory(graph), { modelId: 'logmel-e2e', modelVersion: '1' }));
  const session = await ort.InferenceSession.create(exportInt8GraphToOnnx({ ...graph, outputs: [graph.outputs[0]!] }));
  const people = await recordings16k(6);
  let same = 0;
  let logitsWithin1 = 0;
  for (const { dir } of people) {
    const appInputs: Int8Array[] = [];
    const cInputs: Int8Array[] = [];
    const fxInputs: Int8Array[] = [];
    for (const [k, m] of model.modalities.entries()) {
      const tensor = graph.tensors[graph.inputs[k]!]!;
      const rec = await importWav(path.join(dir, RECORDING[m.name] ?? RECORDING.speech!));
      const app = logMelSpectrogram(rec.samples, m.params, rec.sampleRate).data;
      appInputs.push(quantizeTensorValues(app, tensor.quant));
      const c = cFeatures(rec.samples, m.params, tensor.quant.scales[0]!, tensor.quant.zeroPoint);
      cInputs.push(c.input);
      fxInputs.push(c.fxInput);
    }
    const feeds: Record<string, ort.Tensor> = {};
    graph.inputs.forEach((id, k) => (feeds[graph.modalities[k]!] = new ort.Tensor('int8', appInputs[k]!, [1, ...graph.tensors[id]!.shape])));
    const appLogits = (await session.run(feeds))[session.outputNames[0]!]!.data as Int8Array;
    const runC = (inputs: Int8Array[]): Int8Array => {
      const inFile = path.join(work, 'e2e-in.bin');
      const outFile = path.join(work, 'e2e-out.bin');
      writeFileSync(inFile, Buffer.concat(inputs.map((a) => Buffer.from(a.buffer, a.byteOffset, a.length))));
      const ran = spawnSync(path.join(build, 'host', 'tm2_run'), [blobFile, inFile, outFile], { encoding: 'utf8' });
      assert.equal(ran.status, 0, ran.stdout + ran.stderr);
      const out = readFileSync(outFile);
      return new Int8Array(out.buffer, out.byteOffset, appLogits.length);
    };
    const cLogits = runC(cInputs);
    const fxLogits = runC(fxInputs);
    const argmax = (a: Int8Array) => a.indexOf(Math.max(...a));
    assert.equal(argmax(cLogits), argmax(appLogits), `class for ${path.basename(dir)}: device ${Array.from(cLogits)} vs app ${Array.from(appLogits)}`);
    assert.equal(argmax(fxLogits), argmax(appLogits), `class for ${path.basename(dir)} with fixed-point features: ${Array.from(fxLogits)} vs app ${Array.from(appLogits)}`);
    same++;
    if (cLogits.every((v, i) => Math.abs(v - appLogits[i]!) <= 1)) logitsWithin1++;
  }
  console.log(`end to end on ${model.source}: ${same}/${people.length} same class (float and fixed-point features), ${logitsWithin1} with every logit within 1 LSB`);
});

test('fixed-point front end on rv32imc: no floating point, no libm, and its text size', { skip: missingCrossTools('rv32') }, () => {
  const obj = path.join(work, 'logmel_fx.o');
  const flags = ['-march=rv32imc', '-mabi=ilp32', '--specs=picolibc.specs', '-std=c99', '-Os', '-Wall', '-Wextra', '-Werror', '-c'];
  execFileSync('riscv64-unknown-elf-gcc', [...flags, '-o', obj, path.join(repoRoot, 'firmware', 'audio', 'logmel_fx.c')]);
  const undefinedSymbols = execFileSync('riscv64-unknown-elf-nm', ['-u', obj], { encoding: 'utf8' });
  assert.deepEqual(undefinedSymbols.split('\n').filter((l) => /__(add|sub|mul|div|fix|float|extend|trunc|cmp|eq|ne|lt|le|gt|ge)[sd]f|\b(log|pow|cos|sin|exp)f?\b/.test(l)), []);
  const size = execFileSync('riscv64-unknown-elf-size', [obj], { encoding: 'utf8' }).trim().split('\n')[1]!.trim().split(/\s+/);
  console.log(`rv32imc logmel_fx.o (-Os): text ${size[0]} B, data ${size[1]} B, bss ${size[2]} B (bss = the FFT buffers)`);
});
