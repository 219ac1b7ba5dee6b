import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody, ApiMethod, ApiRequest, ApiResponse } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { resourcesWithModels } from '../fixtures/modelPackage';

/** The real services on a throw-away data folder, called through dispatch so the contract's checks apply. */
export interface ScreeningApi {
  readonly dataDir: string;
  readonly resourcesDir: string;
  readonly handlers: ServiceHandlers;
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  /** Calls and expects a failure; returns the error body. */
  fail(method: string, request: unknown): Promise<ApiErrorBody>;
}

export async function screeningApi(bundledPackages: readonly string[], options: { events?: EventBus; captureEnv?: NodeJS.ProcessEnv } = {}): Promise<ScreeningApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tinym2-screen-data-'));
  const resourcesDir = await resourcesWithModels(bundledPackages);
  const handlers = createServices({
    paths: { dataDir, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir, 'models') },
    transport: 'bridge',
    events: options.events ?? new EventBus(),
    version: 'test',
    ...(options.captureEnv ? { captureEnv: options.captureEnv } : {}),
  });
  return {
    dataDir,
    resourcesDir,
    handlers,
    async call(method, request) {
      const r = await dispatch(handlers, method, request);
      if (!r.ok) throw new Error(`${method} failed: ${r.error.message}`);
      return r.result as never;
    },
    async fail(method, request) {
      const r = await dispatch(handlers, method, request);
      if (r.ok) throw new Error(`${method} was expected to fail but answered ${JSON.stringify(r.result).slice(0, 200)}`);
      return r.error;
    },
  };
}
