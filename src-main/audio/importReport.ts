import { AudioImportError, type AudioImportReason } from './audioImportError';
import { importWav, MODEL_SAMPLE_RATE, type ImportedRecording, type SourceFormat } from './wavImport';

/** A file to import and, when known, whose recording it is. */
export interface RecordingRef {
  readonly path: string;
  readonly subject?: string;
  readonly modality?: string;
  /**
   * The path was named by a data set (manifest row, folder listing) rather than picked by a person, so the
   * import refuses it when it is a symbolic link (see `RecordingReadOptions.insideFolder`). Set by
   * `recordingRefs`.
   */
  readonly insideFolder?: boolean;
}

export interface ImportedEntry {
  readonly ref: RecordingRef;
  readonly durationSeconds: number;
  readonly source: SourceFormat;
  /** Present unless the batch was run with `keepSamples: false` (e.g. to inspect a large data set). */
  readonly recording?: ImportedRecording;
}

export interface ImportFailure {
  readonly ref: RecordingRef;
  readonly reason: AudioImportReason;
  readonly message: string;
}

export interface ImportReport {
  readonly imported: readonly ImportedEntry[];
  readonly failed: readonly ImportFailure[];
  /** Failures per reason, for the one-line summary ("6 empty, 1 truncated"). */
  readonly failuresByReason: Readonly<Partial<Record<AudioImportReason, number>>>;
}

export interface ImportOptions {
  readonly targetRate?: number;
  readonly keepSamples?: boolean;
  readonly onProgress?: (done: number, total: number, ref: RecordingRef) => void;
}

/**
 * Imports many files, carrying on past bad ones: field data always has a few empty or broken recordings
 * and one of them must not cost the user the other hundred. Anything that is not an `AudioImportError`
 * is a bug, not bad input, and is rethrown.
 */
export async function importRecordings(refs: readonly RecordingRef[], options: ImportOptions = {}): Promise<ImportReport> {
  const imported: ImportedEntry[] = [];
  const failed: ImportFailure[] = [];
  const failuresByReason: Partial<Record<AudioImportReason, number>> = {};
  const keep = options.keepSamples ?? true;
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    try {
      const rec = await importWav(ref.path, options.targetRate ?? MODEL_SAMPLE_RATE, { insideFolder: ref.insideFolder === true });
      imported.push(keep ? { ref, durationSeconds: rec.durationSeconds, source: rec.source, recording: rec } : { ref, durationSeconds: rec.durationSeconds, source: rec.source });
    } catch (e) {
      if (!(e instanceof AudioImportError)) throw e;
      failed.push({ ref, reason: e.reason, message: e.message });
      failuresByReason[e.reason] = (failuresByReason[e.reason] ?? 0) + 1;
    }
    options.onProgress?.(i + 1, refs.length, ref);
  }
  return { imported, failed, failuresByReason };
}

/** One plain line per failure, naming the participant and modality when the caller knew them. */
export function describeFailure(f: ImportFailure): string {
  const who = f.ref.subject ? `${f.ref.subject}${f.ref.modality ? ` / ${f.ref.modality}` : ''}: ` : '';
  return `${who}${f.reason} — ${f.message}`;
}
