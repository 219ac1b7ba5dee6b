import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { encodeDepthPng } from '../frames/depthFrame';
import { encodeThermalPng } from '../frames/thermalFrame';
import { renderContactSheet, type SheetSample } from './contactSheet';
import { POSE_CLASSES, type PoseClass } from './poseClass';
import { type FrameSize, generateSample, type SampleParams } from './sample';
import { makeSubjects, type Subject } from './subject';

export interface PoseSetOptions {
  /** Output folder; must not exist yet (or be empty) unless `replace` is set. */
  readonly out: string;
  /** Number of samples, spread evenly over the classes in turn. */
  readonly n: number;
  readonly seed: number;
  readonly depthSize: FrameSize;
  readonly thermalSize: FrameSize;
  /** Number of simulated people. */
  readonly subjects: number;
  /**
   * Seed of the subjects' bodies; defaults to `seed`. A held-out set uses a different value (and a
   * different `seed`): subject ids embed it (`s<subjectSeed>-<k>`), so train and test never share a person.
   */
  readonly subjectSeed?: number;
  readonly classes?: readonly PoseClass[];
  /** Examples per class on contact-sheet.png; 0 writes no sheet. */
  readonly sheetPerClass?: number;
  /** Replace an existing, non-empty output folder. */
  readonly replace?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PoseSetSummary {
  readonly out: string;
  readonly samples: number;
  readonly perLabel: Record<string, number>;
  readonly subjects: readonly string[];
}

/** Written into every generated set; bump when the same seed would no longer give the same pixels. */
export const POSEGEN_VERSION = 1;

const MAX_SIDE = 1024;

/**
 * Generates a labelled depth + thermal pose set in the layout importLabelledSet reads
 * (`<label>/<subject>/<frame>_depth.png` + `_thermal.png`), with manifest.json and contact-sheet.png.
 * Everything is a function of the options: the same options give byte-identical files. The set is
 * built in a sibling staging folder and renamed into place, so a crash never leaves half a set at `out`.
 */
export async function generatePoseSet(options: PoseSetOptions): Promise<PoseSetSummary> {
  const classes = checkOptions(options);
  const out = resolve(options.out);
  const subjectSeed = options.subjectSeed ?? options.seed;
  const subjects = makeSubjects(subjectSeed, options.subjects);
  const sheetPerClass = options.sheetPerClass ?? 4;
  const staging = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  if (!options.replace && !isEmptyOrMissing(out)) throw new Error(`${out} already exists and is not empty (pass replace / --force to overwrite it)`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });

  const records: (Omit<SampleParams, 'subject'> & { frame: string; subject: string; depth: string; thermal: string })[] = [];
  const sheet: SheetSample[] = [];
  const perLabel: Record<string, number> = {};
  const dirs = new Set<string>();
  const written: string[] = [];
  try {
    for (let i = 0; i < options.n; i++) {
      const label = classes[i % classes.length]!;
      // Every subject appears in every class, so per-subject splits stay balanced.
      const subject = subjects[Math.floor(i / classes.length) % subjects.length]!;
      const s = generateSample({ seed: options.seed, index: i, label, subject, depthSize: options.depthSize, thermalSize: options.thermalSize });
      const frame = `f${String(i).padStart(6, '0')}`;
      const rel = `${label}/${subject.id}/${frame}`;
      const dir = join(staging, label, subject.id);
      if (!dirs.has(dir)) mkdirSync(dir, { recursive: true });
      dirs.add(dir);
      written.push(write(join(staging, `${rel}_depth.png`), encodeDepthPng(s.depth)), write(join(staging, `${rel}_thermal.png`), encodeThermalPng(s.thermal)));
      const { subject: _subject, ...params } = s.params;
      records.push({ frame, ...params, subject: subject.id, depth: `${rel}_depth.png`, thermal: `${rel}_thermal.png` });
      perLabel[label] = (perLabel[label] ?? 0) + 1;
      if (perLabel[label]! <= sheetPerClass) sheet.push({ label, caption: s.params.variant, depth: s.depth, thermal: s.thermal });
      options.onProgress?.(i + 1, options.n);
      // Let timers and signals run between samples on long sets.
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    const manifest = {
      generator: 'tinym2-posegen',
      version: POSEGEN_VERSION,
      seed: options.seed,
      subjectSeed,
      n: options.n,
      classes,
      depthSize: options.depthSize,
      thermalSize: options.thermalSize,
      depthUnit: 'mm',
      // Read by importLabelledSet: thermal PNGs are 16-bit centi-kelvin.
      thermalEncoding: { kind: 'png16', kelvinPerCount: 0.01, offsetKelvin: 0 },
      subjects,
      samples: records,
    };
    written.push(write(join(staging, 'manifest.json'), new TextEncoder().encode(`${JSON.stringify(manifest, roundFloats, 1)}\n`)));
    if (sheetPerClass > 0 && sheet.length > 0) written.push(write(join(staging, 'contact-sheet.png'), renderContactSheet(sheet, sheetPerClass)));
    flushToDisk(staging, [...written, ...dirs, ...new Set([...dirs].map((d) => dirname(d))), staging]);
    publish(staging, out);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { out, samples: options.n, perLabel, subjects: subjects.map((s: Subject) => s.id) };
}

function checkOptions(o: PoseSetOptions): readonly PoseClass[] {
  const positiveInt = (v: number, field: string, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${field} must be a whole number from 1 to ${max}, got ${v}`);
  };
  positiveInt(o.n, 'n');
  positiveInt(o.subjects, 'subjects', 9999);
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be a whole number, got ${o.seed}`);
  if (o.subjectSeed !== undefined && !Number.isInteger(o.subjectSeed)) throw new Error(`subjectSeed must be a whole number, got ${o.subjectSeed}`);
  for (const [name, size] of [['depthSize', o.depthSize], ['thermalSize', o.thermalSize]] as const) {
    positiveInt(size.width, `${name}.width`, MAX_SIDE);
    positiveInt(size.height, `${name}.height`, MAX_SIDE);
  }
  const classes = o.classes ?? POSE_CLASSES;
  if (classes.length === 0) throw new Error('classes must name at least one pose class');
  for (const c of classes) if (!(POSE_CLASSES as readonly string[]).includes(c)) throw new Error(`classes: unknown pose class '${c}' (known: ${POSE_CLASSES.join(', ')})`);
  if (new Set(classes).size !== classes.length) throw new Error(`classes: duplicate entries in ${classes.join(', ')}`);
  return classes;
}

/** Manifest numbers to 6 decimals: enough to read the parameters, and the seeds regenerate the rest exactly. */
function roundFloats(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v;
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

function write(file: string, bytes: Uint8Array): string {
  const fd = openSync(file, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
  return file;
}

/**
 * Makes every staged file and directory durable before the set is renamed into view. One syncfs
 * (`sync -f`, coreutils) flushes them all in tens of milliseconds, where an fsync per file costs
 * ~3 ms each (30 s for a 5000-sample set); without it, fall back to fsyncing each path.
 */
function flushToDisk(staging: string, paths: readonly string[]): void {
  const r = spawnSync('sync', ['-f', staging], { stdio: 'ignore' });
  if (r.status === 0) return;
  for (const p of paths) fsyncPath(p);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Swaps the finished staging folder in for `out`; an old set is moved aside first and removed only after. */
function publish(staging: string, out: string): void {
  let old: string | undefined;
  if (exists(out)) {
    old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    renameSync(out, old);
  }
  renameSync(staging, out);
  fsyncPath(dirname(out));
  if (old) rmSync(old, { recursive: true, force: true });
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
