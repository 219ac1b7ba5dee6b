/**
 * Fuzz target: CSV manifests. Each input is written as `manifest.csv` into a data-set folder holding a few
 * real recordings and frames, then loaded by both readers of manifests: the audio data-set loader
 * (openDataset → loadManifest, then audioSamples, which reads every recording) and the frame-set importer
 * (importLabelledSet). Beside the folder, never inside it, sit bait files: a valid WAV and PNGs, and in the
 * folder symbolic links to them and a named pipe. Whatever a row says, nothing outside the folder may be
 * opened, and a pipe may not hang the load.
 *
 * `$SANDBOX` in an input stands for the folder around the data set, so absolute paths to the bait files can
 * live in the corpus.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audioSamples } from '../../../src-main/datasets/audioSamples';
import { DatasetError } from '../../../src-main/datasets/datasetError';
import { openDataset } from '../../../src-main/datasets/openDataset';
import { FrameError } from '../../../src-main/frames/frameError';
import { importLabelledSet } from '../../../src-main/frames/labelledSet';
import { repoRoot } from '../../../src-main/storage/appPaths';
import { installFileSpy, isInside, realPathOrSelf, takeOpenedFiles } from '../fileSpy';
import { CORPUS_DIR, FuzzViolation, scratchDir, type FuzzTarget } from '../fuzzTarget';

let sandbox = '';
let setDir = '';

/** Small feature settings: the fuzz is about which files are read, not about the features. */
const features = { kind: 'logMel', sampleRate: 16000, windowMs: 16, hopMs: 8, fftSize: 256, melBands: 8, fMin: 0, fMax: 8000, frames: 8 } as const;

function build(): void {
  sandbox = realPathOrSelf(mkdtempSync(join(scratchDir(), 'tm2-fuzz-csv-')));
  setDir = join(sandbox, 'set');
  const wav = (n: string) => join(CORPUS_DIR, 'wav', n);
  const png = (n: string) => join(CORPUS_DIR, 'png', n);
  mkdirSync(join(setDir, 'sub'), { recursive: true });
  copyFileSync(wav('seed-pcm16-mono-16k.wav'), join(setDir, 'a.wav'));
  copyFileSync(wav('seed-pcm16-stereo-44k.wav'), join(setDir, 'b.wav'));
  copyFileSync(wav('seed-float32-mono-22k.wav'), join(setDir, 'sub', 'c.wav'));
  copyFileSync(png('seed-depth-16bit-8x6.png'), join(setDir, 'f1_depth.png'));
  copyFileSync(png('seed-thermal-16bit-8x6.png'), join(setDir, 'f1_thermal.png'));
  copyFileSync(png('seed-depth-16bit-split-idat-filters.png'), join(setDir, 'sub', 'f2_depth.png'));
  copyFileSync(png('seed-thermal-16bit-8x6.png'), join(setDir, 'sub', 'f2_thermal.png'));
  // The bait, outside the set: valid files, so a loader that reaches them would load them.
  copyFileSync(wav('seed-pcm16-mono-16k.wav'), join(sandbox, 'outside.wav'));
  copyFileSync(png('seed-depth-16bit-8x6.png'), join(sandbox, 'outside_depth.png'));
  copyFileSync(png('seed-thermal-16bit-8x6.png'), join(sandbox, 'outside_thermal.png'));
  symlinkSync('../outside.wav', join(setDir, 'link.wav'));
  symlinkSync('../outside_depth.png', join(setDir, 'link_depth.png'));
  symlinkSync('../outside_thermal.png', join(setDir, 'link_thermal.png'));
  symlinkSync('..', join(setDir, 'linkdir'));
  // A named pipe with no writer: a plain read waits forever.
  execFileSync('mkfifo', [join(setDir, 'pipe.wav'), join(setDir, 'pipe_depth.png')]);
}

/** Runs one loader; its own error class becomes a short tag, anything else propagates. */
async function attempt<T>(load: () => Promise<T>, expected: (e: unknown) => boolean): Promise<T | string> {
  try {
    return await load();
  } catch (e) {
    if (expected(e)) return `${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`;
    throw e;
  }
}

/** Module files the loaders may load lazily; everything else opened must be inside the set. */
function isCode(path: string): boolean {
  return isInside(join(repoRoot, 'node_modules'), path) || isInside(join(repoRoot, 'src-main'), path);
}

export const target: FuzzTarget = {
  expected: [DatasetError, FrameError],
  setup() {
    build();
    installFileSpy();
    process.on('exit', () => rmSync(sandbox, { recursive: true, force: true }));
  },
  async run(input) {
    const manifest = join(setDir, 'manifest.csv');
    const text = new TextDecoder().decode(input).replaceAll('$SANDBOX', sandbox);
    writeFileSync(manifest, text);
    takeOpenedFiles();
    const audio = await attempt(
      async () => {
        const dataset = openDataset(setDir);
        const samples = await audioSamples(dataset, { modalities: [{ name: 'cough', features }, { name: 'speech', features }], labelColumn: 'label' });
        return { subjects: dataset.subjects.length, problems: dataset.problems.length, samples: samples.set.count, skipped: samples.skipped.length };
      },
      (e) => e instanceof DatasetError,
    );
    const frames = await attempt(
      async () => {
        const { report } = await importLabelledSet(setDir);
        return { loaded: report.loaded, problems: report.problems.length };
      },
      (e) => e instanceof FrameError,
    );
    const outside = takeOpenedFiles().filter((f) => f.path !== manifest && !isCode(f.real) && !(isInside(setDir, f.path) && isInside(setDir, f.real)));
    if (outside.length) {
      const f = outside[0]!;
      throw new FuzzViolation(`a manifest row made the loader open ${f.path}${f.real !== f.path ? ` (really ${f.real})` : ''}, outside the data set folder ${setDir}`);
    }
    return { audio, frames };
  },
};
