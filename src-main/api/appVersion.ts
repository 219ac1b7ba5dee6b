import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../storage/appPaths';

/** The app version from package.json (Electron passes app.getVersion() instead). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
