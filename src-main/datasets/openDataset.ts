import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCoswara, looksLikeCoswara } from './coswaraDataset';
import type { Dataset } from './dataset';
import { DatasetError } from './datasetError';
import { loadFolders } from './folderDataset';
import { loadManifest } from './manifestDataset';

/**
 * Opens a data set in whichever layout it is in: a manifest CSV file (or a folder holding `manifest.csv`),
 * a Coswara batch, or `<label>/<subject>/<modality>.wav` folders.
 */
export function openDataset(pathArg: string): Dataset {
  const path = resolve(pathArg);
  if (!existsSync(path)) throw new DatasetError(path, 'no such file or folder');
  if (statSync(path).isFile()) {
    if (path.toLowerCase().endsWith('.csv')) return loadManifest(path);
    throw new DatasetError(path, 'expected a folder or a .csv manifest');
  }
  if (existsSync(join(path, 'manifest.csv'))) return loadManifest(join(path, 'manifest.csv'));
  if (looksLikeCoswara(path)) return loadCoswara(path);
  return loadFolders(path);
}
