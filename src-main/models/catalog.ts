import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInputFile, INPUT_LIMITS, InputFileError, readInputFile, resolveInside } from '../storage/inputFile';
import { modelPackageMetaSchema, type ModelPackageMeta } from './packageMeta';

export interface CatalogEntry {
  readonly meta: ModelPackageMeta;
  readonly dir: string;
  readonly source: 'bundled' | 'user';
}

export interface CatalogProblem {
  readonly path: string;
  readonly reason: string;
}

export interface Catalog {
  readonly models: CatalogEntry[];
  readonly problems: CatalogProblem[];
}

/**
 * Reads every model package under the given folders. A broken package never hides the others: it is
 * reported as a problem naming its file and what is wrong, and the scan goes on.
 *
 * A package folder that is a symbolic link is followed in the bundled folder (the app's own install
 * decides what is there) but refused in the user folder: that folder holds only packages the app copied
 * in by import, each checked on the way, and a link could lead to a folder anyone changes afterwards.
 */
export async function scanModels(dirs: readonly { dir: string; source: CatalogEntry['source'] }[]): Promise<Catalog> {
  const models: CatalogEntry[] = [];
  const problems: CatalogProblem[] = [];
  for (const { dir, source } of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const pkgDir = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        if (!linksToFolder(pkgDir)) continue;
        if (source === 'user') {
          problems.push({ path: pkgDir, reason: 'this package folder is a symbolic link, which the user models folder does not follow: remove the link and import the package instead (models.import copies and checks it)' });
          continue;
        }
      } else if (!entry.isDirectory()) continue;
      const metaPath = join(pkgDir, 'model.json');
      if (!existsSync(metaPath)) {
        problems.push({ path: pkgDir, reason: 'no model.json in this folder' });
        continue;
      }
      const loaded = await loadPackage(pkgDir);
      if ('reason' in loaded) problems.push(loaded);
      else models.push({ meta: loaded, dir: pkgDir, source });
    }
  }
  return { models, problems };
}

function linksToFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link is not a package, like any other stray file
  }
}

/** Turns a refused read into a problem; `what` is where the name came from ("files.int8Onnx", "model.json"). */
function readProblem(e: unknown, file: string, what: string): CatalogProblem {
  if (!(e instanceof InputFileError)) return { path: file, reason: `${what}: cannot be read (${e instanceof Error ? e.message : String(e)})` };
  if (e.reason === 'missing') return { path: e.file, reason: `missing file named by ${what}` };
  return { path: e.file, reason: e.detail.startsWith(what) ? e.detail : `${what}: ${e.detail}` };
}

/**
 * Parses and checks one package: schema, the files it names, and their SHA-256 when recorded. Every
 * file is read through the input-file door: names stay inside the folder (also through links), only
 * regular files that are not links themselves, each under its size cap.
 */
export async function loadPackage(pkgDir: string): Promise<ModelPackageMeta | CatalogProblem> {
  const metaPath = join(pkgDir, 'model.json');
  let text: string;
  try {
    text = (await readInputFile(metaPath, { maxBytes: INPUT_LIMITS.manifestBytes, kind: 'model.json', noSymlink: true })).toString('utf8');
  } catch (e) {
    return readProblem(e, metaPath, 'model.json');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { path: metaPath, reason: `not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const parsed = modelPackageMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { path: metaPath, reason: `field '${issue.path.join('.') || '(root)'}': ${issue.message}` };
  }
  const meta = parsed.data;
  for (const [role, file] of Object.entries(meta.files)) {
    if (file === undefined) continue;
    const what = `files.${role}`;
    const expected = meta.sha256?.[file];
    const limits = { maxBytes: INPUT_LIMITS.modelFileBytes, kind: 'model file', noSymlink: true };
    let bytes: Buffer | undefined;
    try {
      // Only a recorded SHA-256 needs the bytes; otherwise the same checks without reading (catalog scans run often).
      const path = resolveInside(pkgDir, file, what);
      if (expected) bytes = await readInputFile(path, limits);
      else await checkInputFile(path, limits);
    } catch (e) {
      return readProblem(e, join(pkgDir, file), what);
    }
    const p = join(pkgDir, file);
    if (expected && bytes) {
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== expected) return { path: p, reason: `SHA-256 mismatch (expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…): the file is corrupt or was changed` };
    }
  }
  return meta;
}
