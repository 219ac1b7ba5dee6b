/**
 * Files kept by content: a file's SHA-256 is its name (`blobs/ab/cdef…`), so the same recording imported
 * twice is stored once and a row can always check the bytes it refers to. A blob is written to
 * `blobs/.tmp/`, fsynced and renamed into place (then the folder fsynced), so a blob that exists under
 * its hash is always complete; a crash leaves at most a temp file, which `checkConsistency` removes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeSynced } from '../storage/atomicFile';

export const TEMP_DIR_NAME = '.tmp';
const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isBlobHash(name: string): boolean {
  return HASH_PATTERN.test(name);
}

export function blobPath(blobsDir: string, hash: string): string {
  if (!isBlobHash(hash)) throw new Error(`not a SHA-256 blob hash: '${hash}'`);
  return join(blobsDir, hash.slice(0, 2), hash.slice(2));
}

/** Stores `bytes` under their hash unless already there; returns the hash and whether it was new. */
export function putBlob(blobsDir: string, bytes: Uint8Array): { hash: string; written: boolean } {
  const hash = sha256Hex(bytes);
  const target = blobPath(blobsDir, hash);
  // A blob exists only after its rename, and the rename comes after fsync, so presence with the right
  // size means complete (checkConsistency can re-hash when in doubt).
  if (existsSync(target) && statSync(target).size === bytes.byteLength) return { hash, written: false };
  const tempDir = join(blobsDir, TEMP_DIR_NAME);
  const shardDir = join(blobsDir, hash.slice(0, 2));
  mkdirSync(tempDir, { recursive: true });
  mkdirSync(shardDir, { recursive: true });
  const temp = join(tempDir, `${hash}.${process.pid}.${Date.now()}`);
  try {
    writeSynced(temp, bytes);
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDir(shardDir);
  return { hash, written: true };
}

export function readBlob(blobsDir: string, hash: string): Buffer {
  return readFileSync(blobPath(blobsDir, hash));
}

/** True when the blob exists and its bytes still hash to its name. */
export function verifyBlob(blobsDir: string, hash: string): boolean {
  const path = blobPath(blobsDir, hash);
  return existsSync(path) && sha256Hex(readFileSync(path)) === hash;
}
