/**
 * Whether a folder someone points the Retrain wizard at holds depth + thermal frames rather than audio:
 * a `manifest.csv` naming depth and thermal columns, or `<label>/<subject>/` folders with `_depth` /
 * `_thermal` files (labelledSet.ts reads both). Looking is cheap and stops at the first frame found.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { frameRole } from './framePairing';

function manifestNamesFrames(file: string): boolean {
  const header = (readFileSync(file, 'utf8').split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  return header.includes('depth') && header.includes('thermal');
}

function visibleDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

export function isFrameSet(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  const manifest = join(path, 'manifest.csv');
  if (existsSync(manifest)) return manifestNamesFrames(manifest);
  for (const label of visibleDirs(path)) {
    for (const subject of visibleDirs(join(path, label))) {
      if (readdirSync(join(path, label, subject)).some((name) => frameRole(name).role !== undefined)) return true;
    }
  }
  return false;
}
