import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../storage/appPaths';

export type ElectronBinary = { readonly path: string } | { readonly missing: string };

/**
 * Finds the Electron executable without `require('electron')`, which tries to download the binary
 * when it is missing: on an offline machine that hangs, prints a stack, then fails.
 */
export function findElectronBinary(root: string = repoRoot): ElectronBinary {
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(pkgDir)) return { missing: 'the electron package is not installed' };
  const pathFile = join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist');
  const full = join(distDir, relative || 'electron');
  if (relative && existsSync(full)) return { path: full };
  return { missing: 'the Electron binary was not downloaded (offline install); see README → "Running without Electron"' };
}
