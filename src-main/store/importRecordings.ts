/**
 * Recordings → the store: each file is checked (a WAV we can decode, with sound in it), copied into the
 * blob store by content, and only then given its row, so a row never points at bytes that are not on
 * disk. Bad files are reported and skipped, never fatal; importing the same files again changes nothing.
 */
import { resolve } from 'node:path';
import { AudioImportError, type AudioImportReason } from '../audio/audioImportError';
import type { ImportFailure, RecordingRef } from '../audio/importReport';
import { readRecordingFile } from '../audio/recordingFile';
import { assessTake } from '../audio/takeQuality';
import { decodeWav } from '../audio/wavDecode';
import { putBlob } from './blobStore';
import { nowIso, type Store } from './store';
import { ensureSubject, setLabels, type SubjectLabels } from './labels';

export interface StoredRecording {
  readonly ref: RecordingRef;
  readonly sha256: string;
  readonly recordingId: number;
  /** False when the bytes were already in the blob store (from any subject or an earlier import). */
  readonly newBlob: boolean;
  /** False when this subject already had this exact recording for this modality. */
  readonly newRow: boolean;
}

export interface StoreImportReport {
  readonly stored: readonly StoredRecording[];
  readonly failed: readonly ImportFailure[];
  readonly failuresByReason: Readonly<Partial<Record<AudioImportReason, number>>>;
}

export interface StoreImportOptions {
  /** Who the labels are attributed to (a user name or 'import:<file>'). */
  readonly labelledBy?: string;
  readonly onProgress?: (done: number, total: number, ref: RecordingRef) => void;
}

/** Quality flags kept with the row: the take checks' issue codes and the measures they were judged on. */
function qualityOf(samples: Float32Array, sampleRate: number): string {
  const q = assessTake(samples, sampleRate);
  return JSON.stringify({ issues: q.issues.map((i) => i.code), measures: q.measures });
}

export async function importRecordings(store: Store, refs: readonly RecordingRef[], labels: SubjectLabels = {}, options: StoreImportOptions = {}): Promise<StoreImportReport> {
  for (const ref of refs) {
    if (!ref.subject || !ref.modality) throw new Error(`${ref.path}: a recording imported into the store needs its subject and modality`);
  }
  const by = options.labelledBy ?? 'import';
  store.db.transaction(() => {
    for (const [subject, values] of Object.entries(labels)) {
      ensureSubject(store, subject);
      setLabels(store, subject, values, by);
    }
  })();

  const findRow = store.db.prepare('SELECT id FROM recordings WHERE subject = ? AND modality = ? AND sha256 = ?');
  const insertRow = store.db.prepare(
    `INSERT INTO recordings (sha256, subject, modality, source_path, byte_size, duration_seconds, sample_rate, channels, quality, imported_at)
     VALUES (@sha256, @subject, @modality, @sourcePath, @byteSize, @durationSeconds, @sampleRate, @channels, @quality, @importedAt)`,
  );
  const stored: StoredRecording[] = [];
  const failed: ImportFailure[] = [];
  const failuresByReason: Partial<Record<AudioImportReason, number>> = {};
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const subject = ref.subject!;
    const modality = ref.modality!;
    const sourcePath = resolve(ref.path);
    try {
      // A path a data set named is refused if it is now a symbolic link; one a person picked may be a link.
      const bytes = await readRecordingFile(sourcePath, { insideFolder: ref.insideFolder === true });
      const wav = decodeWav(bytes, sourcePath);
      if (wav.samples.length === 0) throw new AudioImportError(sourcePath, 'empty', 'the WAV file holds no samples');
      // Blob first, row second: after a crash between the two there is an unreferenced blob (harmless,
      // reused by the next import), never a row without its bytes.
      const blob = putBlob(store.blobsDir, bytes);
      const row = store.db.transaction(() => {
        ensureSubject(store, subject);
        const existing = findRow.get(subject, modality, blob.hash) as { id: number } | undefined;
        if (existing) return { id: existing.id, inserted: false };
        const info = insertRow.run({
          sha256: blob.hash,
          subject,
          modality,
          sourcePath,
          byteSize: bytes.byteLength,
          durationSeconds: wav.samples.length / wav.sampleRate,
          sampleRate: wav.sampleRate,
          channels: wav.channels,
          quality: qualityOf(wav.samples, wav.sampleRate),
          importedAt: nowIso(),
        });
        return { id: Number(info.lastInsertRowid), inserted: true };
      }).immediate();
      stored.push({ ref, sha256: blob.hash, recordingId: row.id, newBlob: blob.written, newRow: row.inserted });
    } catch (e) {
      if (!(e instanceof AudioImportError)) throw e;
      failed.push({ ref, reason: e.reason, message: e.message });
      failuresByReason[e.reason] = (failuresByReason[e.reason] ?? 0) + 1;
    }
    options.onProgress?.(i + 1, refs.length, ref);
  }
  return { stored, failed, failuresByReason };
}
