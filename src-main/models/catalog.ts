import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
 */
export async function scanModels(dirs: readonly { dir: string; source: CatalogEntry['source'] }[]): Promise<Catalog> {
  const models: CatalogEntry[] = [];
  const problems: CatalogProblem[] = [];
  for (const { dir, source } of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const pkgDir = join(dir, entry.name);
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

/** Parses and checks one package: schema, the files it names, and their SHA-256 when recorded. */
export async function loadPackage(pkgDir: string): Promise<ModelPackageMeta | CatalogProblem> {
  const metaPath = join(pkgDir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(metaPath, 'utf8'));
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
    const p = join(pkgDir, file);
    if (!existsSync(p)) return { path: p, reason: `missing file named by files.${role}` };
    const expected = meta.sha256?.[file];
    if (expected) {
      const actual = createHash('sha256').update(await readFile(p)).digest('hex');
      if (actual !== expected) return { path: p, reason: `SHA-256 mismatch (expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…): the file is corrupt or was changed` };
    }
  }
  return meta;
}
