import { checkUsb } from '../devices/usbAvailability';
import { scanModels } from '../models/catalog';
import type { AppPaths } from '../storage/appPaths';
import type { EventBus } from './eventBus';
import { ServiceError, type ServiceHandlers } from './dispatch';

export interface ServiceContext {
  readonly paths: AppPaths;
  readonly transport: 'electron' | 'bridge';
  readonly events: EventBus;
  readonly version: string;
}

/** The services behind the API: implemented once, unaware of which transport called them. */
export function createServices(ctx: ServiceContext): ServiceHandlers {
  const catalog = () =>
    scanModels([
      { dir: ctx.paths.bundledModelsDir, source: 'bundled' },
      { dir: ctx.paths.userModelsDir, source: 'user' },
    ]);

  return {
    'app.info': async () => ({
      name: 'TinyM2 Studio',
      version: ctx.version,
      transport: ctx.transport,
      platform: `${process.platform}-${process.arch}`,
      dataDir: ctx.paths.dataDir,
    }),
    'models.list': async () => {
      const { models, problems } = await catalog();
      return { models: models.map((m) => ({ ...m.meta, source: m.source })), problems: [...problems] };
    },
    'models.get': async ({ id }) => {
      const found = (await catalog()).models.find((m) => m.meta.id === id);
      if (!found) throw new ServiceError(`no model with id '${id}'`, 'not_found');
      return { ...found.meta, source: found.source };
    },
    'devices.list': async () => ({ usb: await checkUsb(), devices: [] }),
  };
}
