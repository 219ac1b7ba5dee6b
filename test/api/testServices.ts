import { join } from 'node:path';
import type { ApiResponse } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { repoRoot } from '../../src-main/storage/appPaths';

export interface TestServices {
  readonly services: ServiceHandlers;
  readonly events: EventBus;
  readonly dataDir: string;
  /** Dispatches with validation both ways; an error response throws with its code and message. */
  call<M extends keyof ServiceHandlers>(method: M, request: unknown): Promise<ApiResponse<M>>;
  /** Polls a retrain run until it is no longer queued or working. */
  runToEnd(runId: string): Promise<ApiResponse<'retrain.status'>>;
}

/** The app's real services over a throw-away data folder (`<dir>/data`) and the repository's resources. */
export function testServices(dir: string): TestServices {
  const dataDir = join(dir, 'data');
  const resourcesDir = join(repoRoot, 'resources');
  const events = new EventBus();
  const services = createServices({ paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') }, transport: 'bridge', events, version: 'test' });
  const call = async <M extends keyof ServiceHandlers>(method: M, request: unknown): Promise<ApiResponse<M>> => {
    const r = await dispatch(services, method, request);
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result as ApiResponse<M>;
  };
  const runToEnd = async (runId: string): Promise<ApiResponse<'retrain.status'>> => {
    for (;;) {
      const s = await call('retrain.status', { runId });
      if (!['queued', 'training', 'compressing', 'comparing'].includes(s.status)) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { services, events, dataDir, call, runToEnd };
}
