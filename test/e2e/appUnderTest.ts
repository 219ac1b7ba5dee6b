import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { startBridge, type Bridge } from '../../src-main/bridge/server';
import { repoRoot } from '../../src-main/storage/appPaths';

export interface AppUnderTest {
  readonly bridge: Bridge;
  readonly events: EventBus;
  readonly dataDir: string;
  readonly resourcesDir: string;
  /** The same services the bridge serves, for setting up state (e.g. earlier screenings) without the UI. */
  readonly services: ServiceHandlers;
  close(): Promise<void>;
}

/**
 * The real services and the real built renderer behind the bridge, with a throw-away data folder so a
 * test never touches a real profile. `resourcesDir` defaults to the repository's own resources/; `captureEnv`
 * points the microphone recorder at e.g. a private PulseAudio server.
 */
export async function startAppUnderTest(options: { resourcesDir?: string; captureEnv?: NodeJS.ProcessEnv } = {}): Promise<AppUnderTest> {
  const staticDir = join(repoRoot, 'out', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error('out/renderer is not built: run `npm run build` (npm test does)');
  const dataDir = await mkdtemp(join(tmpdir(), 'tinym2-data-'));
  const resourcesDir = options.resourcesDir ?? join(repoRoot, 'resources');
  const events = new EventBus();
  const services = createServices({
    paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') },
    transport: 'bridge',
    events,
    version: 'test',
    ...(options.captureEnv ? { captureEnv: options.captureEnv } : {}),
  });
  const bridge = await startBridge({ services, events, staticDir });
  return { bridge, events, dataDir, resourcesDir, services, close: () => bridge.close() };
}
