import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scanModels } from '../../models/catalog';
import { resolveAppPaths } from '../../storage/appPaths';
import { UsageError } from '../command';

/** A model named on the command line: a package folder, or the id of an installed (bundled or user) model. */
export async function resolveModelDir(arg: string): Promise<string> {
  const asPath = resolve(arg);
  if (existsSync(join(asPath, 'model.json'))) return asPath;
  const paths = resolveAppPaths();
  const catalog = await scanModels([
    { dir: paths.bundledModelsDir, source: 'bundled' },
    { dir: paths.userModelsDir, source: 'user' },
  ]);
  const found = catalog.models.find((m) => m.meta.id === arg);
  if (!found) throw new UsageError(`no model '${arg}': not a package folder, and installed models are ${catalog.models.map((m) => m.meta.id).join(', ') || '(none)'}`);
  return found.dir;
}
