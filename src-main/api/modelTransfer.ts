/**
 * Moving model packages in and out of the app: import checks a package folder (schema, named files,
 * SHA-256) before copying it into the user models folder; export copies an installed package to a folder
 * the person chose. Both copy only model.json and the files it names, into a staging folder beside the
 * target that is fsynced and renamed into place, so a crash never leaves half a package.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fsyncDir, writeSynced } from '../storage/atomicFile';
import { INPUT_LIMITS, InputFileError, readInputFileSync, resolveInside } from '../storage/inputFile';
import { basename, dirname, join } from 'node:path';
import { loadPackage, type CatalogEntry } from '../models/catalog';
import type { ModelPackageMeta } from '../models/packageMeta';
import { ServiceError } from './dispatch';

export interface PackageFile {
  /** Relative to the package folder, as written in model.json. */
  readonly name: string;
  /** Where the name comes from, for errors: "model.json" or "files.<role>". */
  readonly what: string;
}

export function packageFiles(meta: ModelPackageMeta): PackageFile[] {
  const files = new Map<string, PackageFile>([['model.json', { name: 'model.json', what: 'model.json' }]]);
  for (const [role, name] of Object.entries(meta.files)) {
    if (name !== undefined && !files.has(name)) files.set(name, { name, what: `files.${role}` });
  }
  return [...files.values()];
}

function refusal(e: unknown, f: PackageFile): unknown {
  if (!(e instanceof InputFileError)) return e;
  return new ServiceError(`${e.file}: ${e.detail.startsWith(f.what) ? e.detail : `${f.what}: ${e.detail}`}`);
}

/**
 * Copies a package's files into a fresh staging folder beside `target` and fsyncs it; returns the staging
 * folder. The names come from model.json, so each is resolved inside the source folder and inside the
 * staging folder before anything is created: a name that could lead elsewhere stops the copy with nothing
 * written. Callers check the package with `loadPackage` first; these checks are the second line (a file
 * swapped for a link between the check and the copy), exported so they are tested on their own.
 */
export function stagePackage(fromDir: string, meta: ModelPackageMeta, target: string): { staging: string; files: string[] } {
  const parent = dirname(target);
  const staging = join(parent, `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const files = packageFiles(meta).map((f) => {
    try {
      return { ...f, from: resolveInside(fromDir, f.name, f.what), to: resolveInside(staging, f.name, f.what) };
    } catch (e) {
      throw refusal(e, f);
    }
  });
  try {
    mkdirSync(parent, { recursive: true });
    mkdirSync(staging);
  } catch (e) {
    throw new ServiceError(`${staging}: cannot create the folder to copy the package into (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    for (const f of files) {
      let bytes: Buffer;
      try {
        const manifest = f.what === 'model.json';
        bytes = readInputFileSync(f.from, { maxBytes: manifest ? INPUT_LIMITS.manifestBytes : INPUT_LIMITS.modelFileBytes, kind: manifest ? 'model.json' : 'model file', noSymlink: true });
      } catch (e) {
        throw refusal(e, f);
      }
      // A name may hold a subfolder ("onnx/model.onnx"); the folders made here are inside the fresh staging folder.
      mkdirSync(dirname(f.to), { recursive: true });
      writeSynced(f.to, bytes);
    }
    fsyncDir(staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { staging, files: files.map((f) => join(target, f.name)) };
}

/** Renames a staged package into place, replacing what was at `target`; the old folder goes only once the new one is there. */
function commitStaged(staging: string, target: string): void {
  const parent = dirname(target);
  try {
    const old = existsSync(target) ? `${staging}.old` : undefined;
    if (old) renameSync(target, old);
    try {
      renameSync(staging, target);
    } catch (e) {
      if (old) renameSync(old, target);
      throw e;
    }
    fsyncDir(parent);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Copies a package to `target` atomically, replacing an existing folder there only when `replace` is set. */
export function copyPackage(fromDir: string, meta: ModelPackageMeta, target: string, replace: boolean): string[] {
  if (existsSync(target) && !replace) throw new ServiceError(`${target} already exists: choose another folder or remove it first`);
  const { staging, files } = stagePackage(fromDir, meta, target);
  commitStaged(staging, target);
  return files;
}

/** The package's own folder under `parent`: the id is checked by the schema's pattern, and again here as a name. */
function packageDirIn(parent: string, id: string): string {
  try {
    return resolveInside(parent, id, "field 'id'");
  } catch (e) {
    throw new ServiceError(e instanceof InputFileError ? `${e.file}: ${e.detail}` : String(e));
  }
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
  const dir = packageDirIn(userModelsDir, loaded.id);
  const { staging } = stagePackage(from, loaded, dir);
  // Check the copy before it replaces anything: a file changed while it was read must not become an
  // installed model, and a failed replace must leave the installed version as it was.
  const check = await loadPackage(staging);
  if ('reason' in check || check.id !== loaded.id) {
    rmSync(staging, { recursive: true, force: true });
    throw new ServiceError(`the copied package failed its check (${'reason' in check ? `${check.path}: ${check.reason}` : `its id changed to '${check.id}' while it was copied`}); nothing was installed`);
  }
  commitStaged(staging, dir);
  return { meta: loaded, dir, replaced: user !== undefined };
}

export async function exportModelPackage(entry: CatalogEntry, destination: string): Promise<{ dir: string; files: string[] }> {
  if (existsSync(destination) && !statSync(destination).isDirectory()) throw new ServiceError(`field 'destination': ${destination} is a file, not a folder`);
  const loaded = await loadPackage(entry.dir);
  if ('reason' in loaded) throw new ServiceError(`${loaded.path}: ${loaded.reason}`);
  const dir = packageDirIn(destination, loaded.id);
  const files = copyPackage(entry.dir, loaded, dir, false);
  return { dir, files };
}
