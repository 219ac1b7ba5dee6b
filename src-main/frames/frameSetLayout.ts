/**
 * Whether a folder someone points the Retrain wizard at holds depth + thermal frames rather than audio:
 * a `manifest.csv` naming depth and thermal columns, or `<label>/<subject>/` folders with `_depth` /
 * `_thermal` files (labelledSet.ts reads both). Looking is cheap and stops at the first frame found.
 * Only names are looked at, and only real folders are entered: a symbolic link is never followed here,
 * and the import reports it.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INPUT_LIMITS, InputFileError, readInputTextSync } from '../storage/inputFile';
import { frameRole } from './framePairing';

function manifestNamesFrames(file: string): boolean {
  let text: string;
  try {
    text = readInputTextSync(file, { kind: 'manifest', maxBytes: INPUT_LIMITS.tableBytes, noSymlink: true });
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    // A manifest.csv that is a link, a pipe or oversized cannot be told apart here; the frame import refuses it, naming it.
    return true;
  }
  const header = (text.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  return header.includes('depth') && header.includes('thermal');
}

function visibleDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

export function isFrameSet(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  const manifest = join(path, 'manifest.csv');
  if (present(manifest)) return manifestNamesFrames(manifest);
  for (const label of visibleDirs(path)) {
    for (const subject of visibleDirs(join(path, label))) {
      if (readdirSync(join(path, label, subject)).some((name) => frameRole(name).role !== undefined)) return true;
    }
  }
  return false;
}
