/**
 * The startup check of the store's one rule — a row never refers to a missing blob — and its clean-up:
 * temp files left by a crash mid-write are removed; blobs no row refers to (a crash between the blob and
 * its row) are reported, and kept unless asked, since the next import of that file reuses them.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { blobPath, isBlobHash, TEMP_DIR_NAME, verifyBlob } from './blobStore';
import type { Store } from './store';

export interface ConsistencyReport {
  /** Temp files removed from blobs/.tmp. */
  readonly removedTempFiles: number;
  /** Blobs on disk that no recording, frame or frame pair refers to. */
  readonly unreferencedBlobs: readonly string[];
  readonly removedUnreferencedBlobs: boolean;
  /** Rows whose blob is missing (or, with `verifyHashes`, whose bytes no longer match): should never happen. */
  readonly missingBlobs: readonly { readonly table: 'recordings' | 'frames' | 'frame_pairs'; readonly id: number; readonly sha256: string }[];
}

export interface ConsistencyOptions {
  /** Re-hash every referenced blob (slow on large stores; default: check existence only). */
  readonly verifyHashes?: boolean;
  /** Delete unreferenced blobs. Only safe when no import is running. */
  readonly removeUnreferencedBlobs?: boolean;
}

function blobsOnDisk(blobsDir: string): string[] {
  const hashes: string[] = [];
  for (const shard of readdirSync(blobsDir, { withFileTypes: true })) {
    if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
    for (const f of readdirSync(join(blobsDir, shard.name))) {
      const hash = shard.name + f;
      if (isBlobHash(hash)) hashes.push(hash);
    }
  }
  return hashes;
}

export function checkConsistency(store: Store, options: ConsistencyOptions = {}): ConsistencyReport {
  const tempDir = join(store.blobsDir, TEMP_DIR_NAME);
  let removedTempFiles = 0;
  if (existsSync(tempDir)) {
    for (const f of readdirSync(tempDir)) {
      rmSync(join(tempDir, f), { force: true, recursive: true });
      removedTempFiles++;
    }
  }
  const rows = [
    ...(store.db.prepare('SELECT id, sha256 FROM recordings').all() as { id: number; sha256: string }[]).map((r) => ({ table: 'recordings' as const, ...r })),
    ...(store.db.prepare('SELECT id, sha256 FROM frames').all() as { id: number; sha256: string }[]).map((r) => ({ table: 'frames' as const, ...r })),
    // A pair refers to two blobs; each is checked on its own so a report names the one that is missing.
    ...(store.db.prepare('SELECT id, depth_sha256 AS sha256 FROM frame_pairs UNION ALL SELECT id, thermal_sha256 AS sha256 FROM frame_pairs').all() as { id: number; sha256: string }[]).map(
      (r) => ({ table: 'frame_pairs' as const, ...r }),
    ),
  ];
  // Many rows may share a blob (a frame pair's thermal file, one recording under two subjects): check each once.
  const present = new Map<string, boolean>();
  const isPresent = (h: string) => present.get(h) ?? present.set(h, options.verifyHashes ? verifyBlob(store.blobsDir, h) : existsSync(blobPath(store.blobsDir, h))).get(h)!;
  const missingBlobs = rows.filter((r) => !isPresent(r.sha256));
  const referenced = new Set(rows.map((r) => r.sha256));
  const unreferencedBlobs = blobsOnDisk(store.blobsDir).filter((h) => !referenced.has(h));
  if (options.removeUnreferencedBlobs) for (const h of unreferencedBlobs) rmSync(blobPath(store.blobsDir, h), { force: true });
  return { removedTempFiles, unreferencedBlobs, removedUnreferencedBlobs: !!options.removeUnreferencedBlobs, missingBlobs };
}
