import { access, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { decodeDepthPng, type DepthFrame, type DepthLoadOptions } from './depthFrame';
import { FrameError, type FrameErrorReason } from './frameError';
import { readFrameFile } from './frameFile';
import { pairByName, splitByRole } from './framePairing';
import { checkAspect, checkResolution, resizeDepth, resizeThermal } from './resize';
import { decodeThermal, type ThermalEncoding, type ThermalFrame, type ThermalLoadOptions } from './thermalFrame';

/** One labelled depth + thermal sample, already at the model's input size when one was asked for. */
export interface PoseSample {
  readonly label: string;
  readonly subject: string;
  readonly frame: string;
  readonly depthFile: string;
  readonly thermalFile: string;
  readonly depth: DepthFrame;
  readonly thermal: ThermalFrame;
}

export interface ImportProblem {
  readonly file: string;
  readonly reason: FrameErrorReason;
  readonly message: string;
}

export interface ImportReport {
  readonly root: string;
  readonly layout: 'folders' | 'csv';
  readonly loaded: number;
  readonly perLabel: Record<string, number>;
  readonly subjects: string[];
  /** Every file that was skipped and why; the import carries on past them. */
  readonly problems: ImportProblem[];
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface LabelledSetOptions {
  /** Resize depth to this (area averaging, missing pixels ignored). Omitted: all frames must match the first. */
  readonly depthSize?: Size;
  readonly thermalSize?: Size;
  readonly depth?: DepthLoadOptions;
  readonly thermal?: ThermalLoadOptions;
  /** CSV manifest (`subject,label,frame,depth,thermal`); defaults to `<root>/manifest.csv` when present. */
  readonly manifestCsv?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Takes each good sample in set order instead of returning them all (`samples` is then empty): a store
   * import of thousands of full-size frames holds one batch in memory, not the whole set.
   */
  readonly onSample?: (sample: PoseSample) => Promise<void> | void;
}

/** Frames decoded at a time: enough reads in flight to hide disk latency, few enough to bound memory. */
const BATCH = 32;

interface Entry {
  readonly label: string;
  readonly subject: string;
  readonly frame: string;
  readonly depthFile: string;
  readonly thermalFile: string;
}

/**
 * Imports a labelled set laid out as `<label>/<subject>/<frame>_depth.png` + `<frame>_thermal.*`, or listed
 * by a CSV manifest. Bad files are reported and skipped so one corrupt frame never sinks a recording session.
 */
export async function importLabelledSet(root: string, options: LabelledSetOptions = {}): Promise<{ samples: PoseSample[]; report: ImportReport }> {
  const problems: ImportProblem[] = [];
  const manifestCsv = options.manifestCsv ?? (await exists(join(root, 'manifest.csv')) ? join(root, 'manifest.csv') : undefined);
  const entries = manifestCsv ? await readCsvManifest(manifestCsv, problems) : await walkFolders(root, problems);
  const thermalOptions: ThermalLoadOptions = { ...options.thermal, encoding: options.thermal?.encoding ?? (await declaredThermalEncoding(root)) };

  let depthSize = options.depthSize;
  let thermalSize = options.thermalSize;
  const fixedDepth = depthSize !== undefined;
  const fixedThermal = thermalSize !== undefined;
  const samples: PoseSample[] = [];
  const perLabel: Record<string, number> = {};
  const subjects = new Set<string>();
  let loaded = 0;
  let done = 0;
  for (let start = 0; start < entries.length; start += BATCH) {
    const batch = entries.slice(start, start + BATCH);
    const raw: (readonly [DepthFrame, ThermalFrame] | undefined)[] = new Array(batch.length);
    // Reading is I/O bound; a few reads in flight hide latency without flooding the disk.
    await pool(batch.length, 8, async (i) => {
      const e = batch[i]!;
      try {
        const [db, tb] = await Promise.all([readFrameFile(e.depthFile), readFrameFile(e.thermalFile)]);
        raw[i] = [decodeDepthPng(db, e.depthFile, options.depth), decodeThermal(tb, e.thermalFile, thermalOptions)];
      } catch (err) {
        problems.push(problemOf(err, e.depthFile));
      }
      options.onProgress?.(++done, entries.length);
    });
    // Sizes are settled in entry order so "the first frame sets the size" does not depend on I/O timing.
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const r = raw[i];
      if (!r) continue;
      let sample: PoseSample;
      try {
        let [depth, thermal] = r;
        depthSize ??= depth;
        thermalSize ??= thermal;
        if (fixedDepth) {
          checkAspect(e.depthFile, depth, depthSize);
          depth = resizeDepth(depth, depthSize.width, depthSize.height);
        } else checkResolution(e.depthFile, depth, depthSize);
        if (fixedThermal) {
          checkAspect(e.thermalFile, thermal, thermalSize);
          thermal = resizeThermal(thermal, thermalSize.width, thermalSize.height);
        } else checkResolution(e.thermalFile, thermal, thermalSize);
        sample = { ...e, depth, thermal };
      } catch (err) {
        problems.push(problemOf(err, e.depthFile));
        continue;
      }
      loaded++;
      perLabel[sample.label] = (perLabel[sample.label] ?? 0) + 1;
      subjects.add(sample.subject);
      if (options.onSample) await options.onSample(sample);
      else samples.push(sample);
    }
  }

  return {
    samples,
    report: {
      root,
      layout: manifestCsv ? 'csv' : 'folders',
      loaded,
      perLabel,
      subjects: [...subjects].sort(),
      problems: problems.sort((a, b) => a.file.localeCompare(b.file)),
    },
  };
}

/** A generated set's manifest.json may declare its thermal encoding; hand-made sets default by extension. */
export async function declaredThermalEncoding(root: string): Promise<ThermalEncoding | undefined> {
  try {
    const m = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as { thermalEncoding?: ThermalEncoding };
    return m.thermalEncoding;
  } catch {
    return undefined;
  }
}

async function walkFolders(root: string, problems: ImportProblem[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const label of await visibleDirs(root)) {
    for (const subject of await visibleDirs(join(root, label))) {
      const dir = join(root, label, subject);
      const files = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => join(dir, d.name)).sort();
      const { depth, thermal, other } = splitByRole(files);
      const p = pairByName(depth, thermal);
      for (const f of p.unpairedDepth) problems.push({ file: f, reason: 'unpaired', message: `${f}: depth frame has no matching _thermal file` });
      for (const f of p.unpairedThermal) problems.push({ file: f, reason: 'unpaired', message: `${f}: thermal frame has no matching _depth file` });
      for (const f of other) problems.push({ file: f, reason: 'unpaired', message: `${f}: not a _depth or _thermal frame` });
      for (const pair of p.pairs) entries.push({ label, subject, frame: pair.key, depthFile: pair.depth, thermalFile: pair.thermal });
    }
  }
  return entries;
}

async function readCsvManifest(file: string, problems: ImportProblem[]): Promise<Entry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new FrameError(file, 'unreadable', 'cannot read CSV manifest');
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const cols = ['subject', 'label', 'frame', 'depth', 'thermal'].map((c) => header.indexOf(c));
  if (cols.some((c) => c < 0)) throw new FrameError(file, 'malformed', `manifest header must name subject,label,frame,depth,thermal (found '${lines[0] ?? ''}')`);
  const base = dirname(resolve(file));
  const entries: Entry[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const [subject, label, frame, depth, thermal] = cols.map((c) => cells[c] ?? '');
    if (!subject || !label || !frame || !depth || !thermal) {
      const where = `${file}:${i + 2}`;
      problems.push({ file: where, reason: 'malformed', message: `${where}: manifest row needs subject, label, frame, depth and thermal` });
      return;
    }
    entries.push({ subject, label, frame, depthFile: resolve(base, depth), thermalFile: resolve(base, thermal) });
  });
  return entries;
}

function problemOf(err: unknown, fallbackFile: string): ImportProblem {
  if (err instanceof FrameError) return { file: err.file, reason: err.reason, message: err.message };
  const msg = err instanceof Error ? err.message : String(err);
  return { file: fallbackFile, reason: 'corrupt', message: `${fallbackFile}: ${msg}` };
}

async function visibleDirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function pool(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}
