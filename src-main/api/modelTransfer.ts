/**
 * Moving model packages in and out of the app: import checks a package folder (schema, named files,
 * SHA-256) before copying it into the user models folder; export copies an installed package to a folder
 * the person chose. Both copy only model.json and the files it names, into a staging folder beside the
 * target that is fsynced and renamed into place, so a crash never leaves half a package.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { fsyncDir, writeSynced } from '../storage/atomicFile';
import { basename, dirname, join } from 'node:path';
import { loadPackage, type CatalogEntry } from '../models/catalog';
import type { ModelPackageMeta } from '../models/packageMeta';
import { ServiceError } from './dispatch';

export function packageFiles(meta: ModelPackageMeta): string[] {
  return ['model.json', ...new Set(Object.values(meta.files).filter((f): f is string => f !== undefined))];
}

/** Copies a package to `target` atomically, replacing an existing folder there only when `replace` is set. */
function copyPackage(fromDir: string, meta: ModelPackageMeta, target: string, replace: boolean): string[] {
  if (existsSync(target) && !replace) throw new ServiceError(`${target} already exists: choose another folder or remove it first`);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(staging);
  const files = packageFiles(meta);
  try {
    for (const f of files) writeSynced(join(staging, f), readFileSync(join(fromDir, f)));
    fsyncDir(staging);
    const old = existsSync(target) ? `${staging}.old` : undefined;
    if (old) renameSync(target, old);
    renameSync(staging, target);
    fsyncDir(parent);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return files.map((f) => join(target, f));
}

export interface ImportOutcome {
  readonly meta: ModelPackageMeta;
  readonly dir: string;
  readonly replaced: boolean;
}

export async function importModelPackage(from: string, userModelsDir: string, installed: readonly CatalogEntry[], replace: boolean): Promise<ImportOutcome> {
  if (!existsSync(from)) throw new ServiceError(`field 'path': ${from} does not exist`);
  if (!statSync(from).isDirectory()) throw new ServiceError(`field 'path': ${from} is not a folder (choose the package folder that holds model.json)`);
  if (!existsSync(join(from, 'model.json'))) throw new ServiceError(`field 'path': ${from} has no model.json, so it is not a model package`);
  const loaded = await loadPackage(from);
  if ('reason' in loaded) throw new ServiceError(`${loaded.path}: ${loaded.reason}`);
  const same = installed.filter((m) => m.meta.id === loaded.id);
  const bundled = same.find((m) => m.source === 'bundled');
  if (bundled) throw new ServiceError(`a bundled model already has id '${loaded.id}' (version ${bundled.meta.version}): give the imported package another id`);
  const user = same.find((m) => m.source === 'user');
  if (user && !replace) throw new ServiceError(`a model with id '${loaded.id}' is already installed (version ${user.meta.version}): import again with replace to overwrite it`);
  const dir = join(userModelsDir, loaded.id);
  copyPackage(from, loaded, dir, true);
  // Check the copy as well: a file changed while it was read must not become an installed model.
  const check = await loadPackage(dir);
  if ('reason' in check) {
    rmSync(dir, { recursive: true, force: true });
    throw new ServiceError(`the copied package failed its check (${check.path}: ${check.reason})`);
  }
  return { meta: loaded, dir, replaced: user !== undefined };
}

export async function exportModelPackage(entry: CatalogEntry, destination: string): Promise<{ dir: string; files: string[] }> {
  if (existsSync(destination) && !statSync(destination).isDirectory()) throw new ServiceError(`field 'destination': ${destination} is a file, not a folder`);
  const loaded = await loadPackage(entry.dir);
  if ('reason' in loaded) throw new ServiceError(`${loaded.path}: ${loaded.reason}`);
  const dir = join(destination, loaded.id);
  const files = copyPackage(entry.dir, loaded, dir, false);
  return { dir, files };
}
