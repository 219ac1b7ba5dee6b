import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where things live. Electron passes `app.getPath('userData')`; the CLI and the bridge use the XDG data
 * directory. TINYM2_DATA_DIR overrides both (tests use a temp dir so they never touch a real profile).
 */
export interface AppPaths {
  /** The app's own writable data folder: store, user models, recordings. */
  readonly dataDir: string;
  /** Models that ship with the app (read-only). */
  readonly bundledModelsDir: string;
  /** Models the user imported or trained. */
  readonly userModelsDir: string;
  readonly resourcesDir: string;
}

export const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');

export function resolveAppPaths(options: { userDataDir?: string; resourcesDir?: string } = {}): AppPaths {
  const dataDir =
    process.env.TINYM2_DATA_DIR ??
    options.userDataDir ??
    join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'tinym2-studio');
  const resourcesDir = process.env.TINYM2_RESOURCES_DIR ?? options.resourcesDir ?? join(repoRoot, 'resources');
  return {
    dataDir,
    resourcesDir,
    bundledModelsDir: join(resourcesDir, 'models'),
    userModelsDir: join(dataDir, 'models'),
  };
}
