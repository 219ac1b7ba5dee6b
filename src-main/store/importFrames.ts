/**
 * A labelled depth + thermal frame set → the store. The set is read by the same loader the Pose page
 * uses (labelledSet.ts: folders or a CSV manifest), so what counts as a bad file is decided in one
 * place; each good pair's original bytes then go into the blob store by content and only after both
 * blobs exist does the pair get its row, labelled per frame (a pose is a property of a frame, not of a
 * participant). Bad files are reported and skipped, never fatal; importing the same set again changes
 * nothing.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeDepthPng, type DepthFrame, type DepthLoadOptions } from '../frames/depthFrame';
import { FrameError, type FrameErrorReason } from '../frames/frameError';
import { readFrameFile } from '../frames/frameFile';
import { declaredThermalEncoding, importLabelledSet, type ImportProblem, type PoseSample } from '../frames/labelledSet';
import { decodeThermal, guessThermalEncoding, type ThermalEncoding, type ThermalFrame, type ThermalLoadOptions } from '../frames/thermalFrame';
import { putBlob } from './blobStore';
import { ensureSubject } from './labels';
import { nowIso, type Store } from './store';

/** The label column frame labels go under unless another is given: the pose model's classes. */
export const DEFAULT_FRAME_LABEL_COLUMN = 'pose';

export interface FrameImportOptions {
  /** Column the folder / manifest label is stored under (default 'pose'). */
  readonly labelColumn?: string;
  /** CSV manifest (`subject,label,frame,depth,thermal`); defaults to `<root>/manifest.csv` when present. */
  readonly manifestCsv?: string;
  readonly depth?: DepthLoadOptions;
  /** Thermal encoding and range; the encoding defaults to the set's manifest.json, then the file extension. */
  readonly thermal?: ThermalLoadOptions;
  /** 'checking' as the loader reads each listed pair, 'storing' as each good one is stored (done of all pairs listed; bad ones never reach storing). */
  readonly onProgress?: (done: number, total: number, phase: 'checking' | 'storing') => void;
}

/** How a stored pair's bytes are read again; kept in the row so training decodes exactly as the import checked. */
export interface FrameLoadOptions {
  readonly depthMaxMm?: number;
  readonly thermalRangeC?: readonly [number, number];
}

export interface StoredFramePairImport {
  readonly subject: string;
  readonly frameKey: string;
  readonly label: string;
  readonly depthFile: string;
  readonly thermalFile: string;
  readonly depthSha256: string;
  readonly thermalSha256: string;
  readonly pairId: number;
  /** True when either file's bytes were not yet in the blob store. */
  readonly newBlob: boolean;
  /** False when this subject already had this exact pair under this frame key. */
  readonly newRow: boolean;
  /** True when the pair was already stored with another label, which this import replaced. */
  readonly relabelled: boolean;
}

export interface FrameImportFailure {
  readonly file: string;
  readonly reason: FrameErrorReason;
  /** Names the file. */
  readonly message: string;
}

export interface FrameStoreImportReport {
  readonly root: string;
  readonly layout: 'folders' | 'csv';
  readonly labelColumn: string;
  readonly stored: readonly StoredFramePairImport[];
  readonly failed: readonly FrameImportFailure[];
  readonly failuresByReason: Readonly<Partial<Record<FrameErrorReason, number>>>;
}

interface FrameRow {
  id: number;
  label_column: string;
  label: string;
}

export async function importFrames(store: Store, root: string, options: FrameImportOptions = {}): Promise<FrameStoreImportReport> {
  const dir = resolve(root);
  const labelColumn = options.labelColumn ?? DEFAULT_FRAME_LABEL_COLUMN;
  if (!labelColumn.trim()) throw new Error('the label column for frame labels must not be empty');
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error(`${dir}: not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir}: no such frame set folder`);
    throw e;
  }
  const declared = options.thermal?.encoding ?? (await declaredThermalEncoding(dir));
  const loadOptions: FrameLoadOptions = {
    ...(options.depth?.maxMm !== undefined ? { depthMaxMm: options.depth.maxMm } : {}),
    ...(options.thermal?.validRangeC ? { thermalRangeC: options.thermal.validRangeC } : {}),
  };

  const findRow = store.db.prepare('SELECT id, label_column, label FROM frame_pairs WHERE subject = ? AND frame_key = ? AND depth_sha256 = ? AND thermal_sha256 = ?');
  const relabel = store.db.prepare('UPDATE frame_pairs SET label_column = ?, label = ? WHERE id = ?');
  const insertRow = store.db.prepare(
    `INSERT INTO frame_pairs (subject, frame_key, depth_sha256, thermal_sha256, thermal_encoding, load_options, label_column, label,
       depth_width, depth_height, thermal_width, thermal_height, depth_path, thermal_path, depth_bytes, thermal_bytes, quality, imported_at)
     VALUES (@subject, @frameKey, @depthSha256, @thermalSha256, @thermalEncoding, @loadOptions, @labelColumn, @label,
       @depthWidth, @depthHeight, @thermalWidth, @thermalHeight, @depthPath, @thermalPath, @depthBytes, @thermalBytes, @quality, @importedAt)`,
  );
  const stored: StoredFramePairImport[] = [];
  const failed: FrameImportFailure[] = [];
  let total = 0;
  // Each good pair is stored as the loader hands it over, so only one batch of full-size frames is in memory.
  const storePair = async (s: PoseSample): Promise<void> => {
    try {
      const encoding = declared ?? encodingFromName(s.thermalFile);
      // Named by the set's folders or manifest, like the loader's own read: no links, regular files, capped.
      const [depthBytes, thermalBytes] = await Promise.all([readFrameFile(s.depthFile, { insideFolder: true }), readFrameFile(s.thermalFile, { insideFolder: true })]);
      // The bytes stored must be the bytes that were checked, and the recorded encoding must read them
      // back to the same temperatures: decode what is about to be stored and compare.
      checkSame(s.depthFile, decodeDepthPng(depthBytes, s.depthFile, options.depth).mm, s.depth.mm);
      checkSame(s.thermalFile, decodeThermal(thermalBytes, s.thermalFile, { ...options.thermal, encoding }).celsius, s.thermal.celsius);
      // Blobs first, row second: after a crash between them there are unreferenced blobs (reused by the
      // next import), never a row without its bytes.
      const depthBlob = putBlob(store.blobsDir, depthBytes);
      const thermalBlob = putBlob(store.blobsDir, thermalBytes);
      const row = store.db.transaction(() => {
        ensureSubject(store, s.subject);
        const existing = findRow.get(s.subject, s.frame, depthBlob.hash, thermalBlob.hash) as FrameRow | undefined;
        if (existing) {
          const changed = existing.label_column !== labelColumn || existing.label !== s.label;
          if (changed) relabel.run(labelColumn, s.label, existing.id);
          return { id: existing.id, inserted: false, relabelled: changed };
        }
        const info = insertRow.run({
          subject: s.subject,
          frameKey: s.frame,
          depthSha256: depthBlob.hash,
          thermalSha256: thermalBlob.hash,
          thermalEncoding: JSON.stringify(encoding),
          loadOptions: JSON.stringify(loadOptions),
          labelColumn,
          label: s.label,
          depthWidth: s.depth.width,
          depthHeight: s.depth.height,
          thermalWidth: s.thermal.width,
          thermalHeight: s.thermal.height,
          depthPath: resolve(s.depthFile),
          thermalPath: resolve(s.thermalFile),
          depthBytes: depthBytes.byteLength,
          thermalBytes: thermalBytes.byteLength,
          quality: qualityOf(s),
          importedAt: nowIso(),
        });
        return { id: Number(info.lastInsertRowid), inserted: true, relabelled: false };
      }).immediate();
      stored.push({
        subject: s.subject,
        frameKey: s.frame,
        label: s.label,
        depthFile: s.depthFile,
        thermalFile: s.thermalFile,
        depthSha256: depthBlob.hash,
        thermalSha256: thermalBlob.hash,
        pairId: row.id,
        newBlob: depthBlob.written || thermalBlob.written,
        newRow: row.inserted,
        relabelled: row.relabelled,
      });
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      failed.push({ file: e.file, reason: e.reason, message: e.message });
    }
    options.onProgress?.(stored.length + failed.length, total, 'storing');
  };
  // Native sizes (no resize): the store keeps the original files, and the model's size is chosen at training time.
  const { report } = await importLabelledSet(dir, {
    ...(options.depth ? { depth: options.depth } : {}),
    thermal: { ...options.thermal, ...(declared ? { encoding: declared } : {}) },
    ...(options.manifestCsv ? { manifestCsv: options.manifestCsv } : {}),
    onProgress: (done: number, all: number) => {
      total = all;
      options.onProgress?.(done, all, 'checking');
    },
    onSample: storePair,
  });
  failed.push(...report.problems.map((p: ImportProblem) => ({ file: p.file, reason: p.reason, message: p.message })));
  failed.sort((a, b) => a.file.localeCompare(b.file));
  const failuresByReason: Partial<Record<FrameErrorReason, number>> = {};
  for (const f of failed) failuresByReason[f.reason] = (failuresByReason[f.reason] ?? 0) + 1;
  return { root: dir, layout: report.layout, labelColumn, stored, failed, failuresByReason };
}

/** Undeclared: what the decoder assumed from the extension (only png16 and csv decode without a declaration). */
function encodingFromName(file: string): ThermalEncoding {
  const kind = guessThermalEncoding(file);
  if (kind === 'png16') return { kind: 'png16' };
  if (kind === 'csv') return { kind: 'csv' };
  throw new FrameError(file, 'encoding', 'the thermal encoding cannot be told from the file name; declare it');
}

function checkSame(file: string, read: ArrayLike<number>, checked: ArrayLike<number>): void {
  let same = read.length === checked.length;
  for (let i = 0; same && i < read.length; i++) same = read[i] === checked[i] || (Number.isNaN(read[i]) && Number.isNaN(checked[i]));
  if (!same) throw new FrameError(file, 'corrupt', 'the file changed while it was being imported; import it again');
}

/** What a reviewer wants to see before training on a frame: how much depth is missing, and the ranges. */
function qualityOf(s: { readonly depth: DepthFrame; readonly thermal: ThermalFrame }): string {
  let missing = 0;
  let minMm = Infinity;
  let maxMm = -Infinity;
  for (const v of s.depth.mm) {
    if (v === 0) missing++;
    else {
      if (v < minMm) minMm = v;
      if (v > maxMm) maxMm = v;
    }
  }
  let minC = Infinity;
  let maxC = -Infinity;
  let sum = 0;
  for (const v of s.thermal.celsius) {
    if (v < minC) minC = v;
    if (v > maxC) maxC = v;
    sum += v;
  }
  const round = (v: number, d: number) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
  return JSON.stringify({
    depthMissingFraction: round(missing / Math.max(1, s.depth.mm.length), 4),
    depthMm: [round(minMm, 0), round(maxMm, 0)],
    thermalC: [round(minC, 2), round(maxC, 2)],
    thermalMeanC: round(sum / Math.max(1, s.thermal.celsius.length), 2),
  });
}
