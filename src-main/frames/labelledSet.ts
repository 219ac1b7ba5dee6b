import { lstat, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputFileError, resolveInside } from '../storage/inputFile';
import { manifestRowPath } from '../storage/relativeName';
import { decodeDepthPng, type DepthFrame, type DepthLoadOptions } from './depthFrame';
import { FrameError, type FrameErrorReason } from './frameError';
import { frameErrorOf, readFrameFile, readFrameManifest } from './frameFile';
import { pairByName, splitByRole } from './framePairing';
import { checkAspect, checkResolution, resizeDepth, resizeThermal } from './resize';
import { decodeThermal, thermalEncodingSchema, type ThermalEncoding, type ThermalFrame, type ThermalLoadOptions } from './thermalFrame';

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
  /**
   * CSV manifest (`subject,label,frame,depth,thermal`); defaults to `<root>/manifest.csv` when present.
   * Either way its rows name files inside the manifest's own folder.
   */
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
 * Only what the set itself holds is read: manifest rows must name files inside the manifest's folder, and
 * symbolic links and special files (devices, pipes) are reported, never followed or read.
 */
export async function importLabelledSet(root: string, options: LabelledSetOptions = {}): Promise<{ samples: PoseSample[]; report: ImportReport }> {
  const problems: ImportProblem[] = [];
  const ownManifest = join(root, 'manifest.csv');
  const manifestCsv = options.manifestCsv ?? ((await present(ownManifest)) ? ownManifest : undefined);
  // A manifest the caller named was picked by a person and may be a link; the set's own one may not.
  const entries = manifestCsv ? await readCsvManifest(manifestCsv, options.manifestCsv === undefined, problems) : await walkFolders(root, problems);
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
        const [db, tb] = await Promise.all([readFrameFile(e.depthFile, { insideFolder: true }), readFrameFile(e.thermalFile, { insideFolder: true })]);
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

/**
 * A generated set's manifest.json may declare its thermal encoding; hand-made sets default by extension
 * (no manifest.json, or one of another tool without `thermalEncoding`). A manifest.json that is a link, a
 * special file or oversized, or whose `thermalEncoding` is not one, is an error naming it: it would decide
 * how every thermal frame is read.
 */
export async function declaredThermalEncoding(root: string): Promise<ThermalEncoding | undefined> {
  const file = join(root, 'manifest.json');
  let text: string;
  try {
    text = await readFrameManifest(file, { insideFolder: true });
  } catch (e) {
    if (e instanceof FrameError && e.reason === 'unreadable') return undefined;
    throw e;
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || !('thermalEncoding' in m) || m.thermalEncoding === undefined) return undefined;
  const parsed = thermalEncodingSchema.safeParse(m.thermalEncoding);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = ['thermalEncoding', ...(issue?.path ?? [])].join('.');
    throw new FrameError(file, 'encoding', `field '${at}' ${issue?.message ?? 'is not a thermal encoding'} (expected { "kind": "png16" | "png8" | "csv" | "f32", ... })`);
  }
  return parsed.data;
}

function refused(file: string, detail: string): ImportProblem {
  return { file, reason: 'refused', message: `${file}: ${detail}` };
}

/**
 * A folder's visible sub-folders and regular files, by name. A symbolic link could lead anywhere, and a
 * device or pipe never ends, so each is reported and skipped rather than followed or read.
 */
async function listFolder(dir: string, problems: ImportProblem[]): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    const path = join(dir, d.name);
    if (d.isDirectory()) dirs.push(d.name);
    else if (d.isFile()) files.push(d.name);
    else if (d.isSymbolicLink()) problems.push(refused(path, 'a symbolic link, which is not followed; copy the folder or file itself into the set'));
    else problems.push(refused(path, 'not a regular file (a device, pipe or socket), so it is not read'));
  }
  return { dirs: dirs.sort(), files: files.sort() };
}

async function walkFolders(root: string, problems: ImportProblem[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const label of (await listFolder(root, problems)).dirs) {
    for (const subject of (await listFolder(join(root, label), problems)).dirs) {
      const dir = join(root, label, subject);
      const listing = await listFolder(dir, problems);
      const { depth, thermal, other } = splitByRole(listing.files.map((name) => join(dir, name)));
      const p = pairByName(depth, thermal);
      for (const f of p.unpairedDepth) problems.push({ file: f, reason: 'unpaired', message: `${f}: depth frame has no matching _thermal file` });
      for (const f of p.unpairedThermal) problems.push({ file: f, reason: 'unpaired', message: `${f}: thermal frame has no matching _depth file` });
      for (const f of other) problems.push({ file: f, reason: 'unpaired', message: `${f}: not a _depth or _thermal frame` });
      for (const pair of p.pairs) entries.push({ label, subject, frame: pair.key, depthFile: pair.depth, thermalFile: pair.thermal });
    }
  }
  return entries;
}

/** A name from a manifest, quoted for a message: escaped (it may hold anything) and cut short. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

async function readCsvManifest(file: string, insideFolder: boolean, problems: ImportProblem[]): Promise<Entry[]> {
  const text = await readFrameManifest(file, { insideFolder });
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const cols = ['subject', 'label', 'frame', 'depth', 'thermal'].map((c) => header.indexOf(c));
  if (cols.some((c) => c < 0)) throw new FrameError(file, 'malformed', `manifest header must name subject,label,frame,depth,thermal (found ${quoted(lines[0] ?? '')})`);
  const base = dirname(resolve(file));
  const entries: Entry[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 2}`;
    const cells = line.split(',').map((c) => c.trim());
    const [subject, label, frame, depth, thermal] = cols.map((c) => cells[c] ?? '');
    if (!subject || !label || !frame || !depth || !thermal) {
      problems.push({ file: where, reason: 'malformed', message: `${where}: manifest row needs subject, label, frame, depth and thermal` });
      return;
    }
    // A row names files of this set: once tidied (`./a.png`, `a\b.png` from Windows), a plain relative
    // path that stays inside the manifest's folder.
    try {
      const depthFile = resolveInside(base, manifestRowPath(depth), `the depth path ${quoted(depth)}`);
      const thermalFile = resolveInside(base, manifestRowPath(thermal), `the thermal path ${quoted(thermal)}`);
      entries.push({ subject, label, frame, depthFile, thermalFile });
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      const refusal = frameErrorOf(e);
      problems.push({ file: where, reason: refusal.reason, message: `${where}: ${refusal.detail}` });
    }
  });
  return entries;
}

function problemOf(err: unknown, fallbackFile: string): ImportProblem {
  if (err instanceof FrameError) return { file: err.file, reason: err.reason, message: err.message };
  const msg = err instanceof Error ? err.message : String(err);
  return { file: fallbackFile, reason: 'corrupt', message: `${fallbackFile}: ${msg}` };
}

/** Whether a name exists at all; lstat, so a manifest that is a (even dangling) link is read, and refused, rather than ignored. */
async function present(file: string): Promise<boolean> {
  try {
    await lstat(file);
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
