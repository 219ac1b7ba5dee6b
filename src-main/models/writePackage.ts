/**
 * Writes a model package folder atomically: every file goes into a fresh temporary folder beside the
 * target, is fsynced, and the folder is renamed into place. A crash leaves either the old package or
 * the new one, never a mix; SHA-256 of every file is recorded in model.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { fsyncDir, writeSynced } from '../storage/atomicFile';
import { basename, dirname, join } from 'node:path';
import { modelPackageMetaSchema, type ModelPackageMeta } from './packageMeta';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `files` maps file names (no folders) to their bytes; `meta.files` must name only files given here.
 * Returns the meta as written (with the SHA-256 table filled in).
 */
export function writeModelPackage(dir: string, meta: Omit<ModelPackageMeta, 'sha256'>, files: Readonly<Record<string, Uint8Array>>): ModelPackageMeta {
  for (const [role, name] of Object.entries(meta.files)) {
    if (name !== undefined && !(name in files)) throw new Error(`writeModelPackage: files.${role} names '${name}', which is not among the files given`);
  }
  for (const name of Object.keys(files)) {
    if (name !== basename(name) || name === 'model.json') throw new Error(`writeModelPackage: '${name}' is not a plain file name`);
  }
  const full = modelPackageMetaSchema.parse({ ...meta, sha256: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, sha256Hex(b)])) });
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(dir)}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(staging);
  try {
    for (const [name, bytes] of Object.entries(files)) writeSynced(join(staging, name), bytes);
    writeSynced(join(staging, 'model.json'), new TextEncoder().encode(`${JSON.stringify(full, null, 2)}\n`));
    fsyncDir(staging);
    // rename() cannot replace a non-empty folder: move the old one aside first, drop it after.
    const old = existsSync(dir) ? `${staging}.old` : undefined;
    if (old) renameSync(dir, old);
    renameSync(staging, dir);
    fsyncDir(parent);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return full;
}
