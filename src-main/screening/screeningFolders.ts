import { join } from 'node:path';

/**
 * Where screening keeps patient audio and results inside the app's data folder. The Screen services
 * write there; the Retrain wizard reads the same folders to import labelled sessions.
 */
export function screeningFolders(dataDir: string): { readonly takes: string; readonly results: string } {
  return { takes: join(dataDir, 'screening', 'takes'), results: join(dataDir, 'screening', 'results') };
}
