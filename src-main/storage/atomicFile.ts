/**
 * Durable file replacement, used wherever a crash must leave the old content or the new, never half
 * of it (model packages, pairings, the active-model pointer, exported reports): write a uniquely named
 * temporary file beside the target, fsync it, rename it over the target, fsync the folder so the rename
 * itself survives a power cut.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes and fsyncs a new file (no rename): for files inside a staging folder that is renamed as a whole. */
export function writeSynced(path: string, bytes: Uint8Array, mode = 0o644): void {
  const fd = openSync(path, 'w', mode);
  try {
    let at = 0;
    while (at < bytes.byteLength) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, content: Uint8Array | string, mode = 0o644): void {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // Unique per writer: worker threads share a process id, and two may write the same target at once.
  const temp = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    writeSynced(temp, bytes, mode);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}
