/**
 * How fast recordings become model input, on one core: decode + resample + log-mel over every non-empty
 * recording of the real Coswara batch. Reported as seconds of audio per second of compute ("× real
 * time"); the goal is ≥ 500×, so retraining on a clinic's few hundred recordings never waits on features.
 * Files are read into memory first: this measures the computation, not the disk.
 *
 *   npm run bench:features   → bench/results/features.json
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src-main/storage/atomicFile';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioImportError } from '../src-main/audio/audioImportError';
import { importWavBytes, type ImportedRecording } from '../src-main/audio/wavImport';
import { loadCoswara } from '../src-main/datasets/coswaraDataset';
import { recordingRefs } from '../src-main/datasets/dataset';
import { DEFAULT_AUDIO_FEATURES, type AudioModality } from '../src-main/dsp/audioFeatureDefaults';
import { logMelSpectrogram } from '../src-main/dsp/melSpectrogram';

const GOAL_REALTIME = 500;
const REPEATS = 3;
const here = dirname(fileURLToPath(import.meta.url));
const dataDir = process.env.TINYM2_COSWARA_DIR ?? join(here, '..', '..', 'shared', 'data', 'coswara-20200413');
const outFile = join(here, 'results', 'features.json');

interface Item {
  readonly modality: AudioModality;
  readonly bytes: Uint8Array;
  readonly path: string;
  readonly recording: ImportedRecording;
  readonly nativeRate: number;
}

function loadItems(): { items: Item[]; skipped: number } {
  const dataset = loadCoswara(dataDir);
  const items: Item[] = [];
  let skipped = 0;
  for (const ref of recordingRefs(dataset)) {
    const modality = ref.modality as AudioModality;
    if (!DEFAULT_AUDIO_FEATURES[modality]) continue;
    const bytes = readFileSync(ref.path);
    try {
      const recording = importWavBytes(bytes, ref.path);
      items.push({ modality, bytes, path: ref.path, recording, nativeRate: recording.source.sampleRate });
    } catch (e) {
      if (!(e instanceof AudioImportError)) throw e;
      skipped++; // the six empty recordings
    }
  }
  return { items, skipped };
}

interface Timing {
  /** Median over the repeats of the process's CPU time (user + system), the figure the × real time uses. */
  readonly medianCpuSeconds: number;
  readonly medianWallSeconds: number;
  readonly cpuSeconds: number[];
  readonly wallSeconds: number[];
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * CPU time of `repeats` passes after one warm-up pass (JIT, plan and filter caches). CPU time rather than
 * wall time because the development machines are shared: other jobs stretch the wall clock, not the work.
 */
function time(repeats: number, pass: () => void): Timing {
  pass();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    pass();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { medianCpuSeconds: r4(median(cpu)), medianWallSeconds: r4(median(wall)), cpuSeconds: cpu.map(r4), wallSeconds: wall.map(r4) };
}


const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
const { items, skipped } = loadItems();
const audioSeconds = items.reduce((s, i) => s + i.recording.durationSeconds, 0);
const nativeItems = items.filter((i) => i.nativeRate !== 16000);
let sink = 0; // keeps the optimiser from dropping the work
const features = time(REPEATS, () => {
  for (const i of items) sink += logMelSpectrogram(i.recording.samples, DEFAULT_AUDIO_FEATURES[i.modality]).contentFrames;
});
const importAndFeatures = time(REPEATS, () => {
  for (const i of items) {
    const rec = importWavBytes(i.bytes, i.path);
    sink += logMelSpectrogram(rec.samples, DEFAULT_AUDIO_FEATURES[i.modality]).contentFrames;
  }
});
const importOnly = time(REPEATS, () => {
  for (const i of items) sink += importWavBytes(i.bytes, i.path).samples.length;
});
const resampleSeconds = nativeItems.reduce((s, i) => s + i.recording.durationSeconds, 0);
const nativeImport = time(REPEATS, () => {
  for (const i of nativeItems) sink += importWavBytes(i.bytes, i.path).samples.length;
});

const realtime = (t: Timing, audio = audioSeconds) => ({ realtime: Math.round(audio / t.medianCpuSeconds), realtimeWall: Math.round(audio / t.medianWallSeconds) });
const cpu = cpus();
const result = {
  benchmark: 'features',
  date: new Date().toISOString(),
  dataset: { dir: dataDir, recordings: items.length, skippedEmpty: skipped, audioSeconds: Math.round(audioSeconds * 10) / 10, nativeRateRecordings: nativeItems.length },
  featureParams: DEFAULT_AUDIO_FEATURES,
  goalRealtime: GOAL_REALTIME,
  repeats: REPEATS,
  featuresOnly: { ...features, ...realtime(features) },
  importAndFeatures: { ...importAndFeatures, ...realtime(importAndFeatures) },
  importOnly: { ...importOnly, ...realtime(importOnly) },
  importNative44or48kHz: { ...nativeImport, audioSeconds: Math.round(resampleSeconds * 10) / 10, ...realtime(nativeImport, resampleSeconds) },
  meetsGoal: { featuresOnly: realtime(features).realtime >= GOAL_REALTIME, importAndFeatures: realtime(importAndFeatures).realtime >= GOAL_REALTIME },
  machine: {
    cpu: cpu[0]?.model ?? 'unknown',
    logicalCores: cpu.length,
    coresUsed: 1,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    /** Load on the machine when the run started; above the core count, wall times are stretched. */
    loadAverage1m: loadAtStart,
  },
};
writeFileAtomic(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `CPU time, one core — features: ${result.featuresOnly.realtime}× real time; import + features: ${result.importAndFeatures.realtime}× ` +
    `(import alone ${result.importOnly.realtime}×, 44.1/48 kHz import ${result.importNative44or48kHz.realtime}×) over ${result.dataset.audioSeconds} s ` +
    `of audio in ${items.length} recordings, goal ${GOAL_REALTIME}×; load ${loadAtStart} on ${cpu.length} cores → ${outFile}${sink < 0 ? '' : ''}`,
);
