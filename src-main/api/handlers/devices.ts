/**
 * The devices page's services: list USB GAPuinos, the simulated GAPuino and paired Pis; pair; deploy with
 * progress events and a verification against onnxruntime; roll back. Library failures already carry words
 * for a technician; here they become ServiceErrors, and ids that name nothing become not_found.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceRegistry } from '../../devices/deviceRegistry';
import { deploy as deployToGapuino, DeployError } from '../../devices/gapuino/deploy';
import { LoaderClient, type DeviceInfo } from '../../devices/gapuino/loaderProtocol';
import { buildSimulatedGapuinoLoader, SimulatedGapuino } from '../../devices/gapuino/simulatedGapuino';
import { GapuinoUsbError } from '../../devices/gapuino/usbGapuino';
import { forgetPairedPi } from '../../devices/pi/pairedPis';
import { formatPiAddress, parsePiAddress, type PiAddress } from '../../devices/pi/piAddress';
import { deployToPi, pairedPiStatuses, pairedTarget, pairPi, rollbackPi, type PiStatus } from '../../devices/pi/piClient';
import { PiDeviceError } from '../../devices/pi/piDeviceError';
import { watchPis, type PiWatch } from '../../devices/pi/piDiscovery';
import { listDeployments, recordPackageDeployment } from '../../store/deployments';
import { lazyLocalStore, type LocalStore } from '../localStore';
import type { ByteTransport } from '../../devices/transport';
import type { UsbHostLoader } from '../../devices/usbAvailability';
import { scanModels, type CatalogEntry } from '../../models/catalog';
import { repoRoot } from '../../storage/appPaths';
import { ServiceError } from '../dispatch';
import type { DeviceListEntry, deviceMethods } from '../methods/devices';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

export const SIMULATOR_ID = 'simulator:gapuino';

interface RunningSimulator {
  readonly device: SimulatedGapuino;
  model: string | undefined;
}

const modelName = (m: { id: string; version: string } | null | undefined): string | undefined => (m ? `${m.id} ${m.version}` : undefined);
const loaderModel = (info: DeviceInfo): string | undefined => (info.runningSlot === undefined ? undefined : `${info.modelId} ${info.modelVersion}`);

function piEntry(s: PiStatus): DeviceListEntry {
  const id = formatPiAddress(s.pi);
  const state = s.state === 'online' ? 'connected' : s.state === 'offline' ? 'disconnected' : 'error';
  const model = modelName(s.info?.model.active);
  const previousModel = modelName(s.info?.model.previous);
  return {
    id,
    kind: 'pi',
    name: s.pi.name ? `${s.pi.name} (${id})` : `Raspberry Pi ${id}`,
    state,
    fingerprint: s.pi.fingerprint256,
    ...(model ? { model } : {}),
    ...(previousModel ? { previousModel } : {}),
    ...(s.problem ? { problem: s.problem } : s.info?.model.problem ? { problem: s.info.model.problem } : {}),
  };
}

/** The field name goes first so the page can show the message next to what the technician typed. */
function piAddressOf(deviceId: string, field: string): PiAddress {
  try {
    return parsePiAddress(deviceId.trim());
  } catch (e) {
    throw new ServiceError(`field '${field}': ${(e as Error).message}`);
  }
}

/** The library's sentence, with CLI instructions swapped for what to do on this page. */
function asServiceError(e: unknown): unknown {
  if (e instanceof PiDeviceError) {
    if (e.kind === 'not_paired' || e.kind === 'token_rejected') {
      return new ServiceError(`${e.message.replace(/ Pair (it first|again)[^.]*:.*$/, '')} Remove it here and pair it again with the code the agent shows on the Pi.`, e.kind === 'not_paired' ? 'not_found' : 'failed');
    }
    if (e.kind === 'fingerprint_changed') return new ServiceError(`${e.message} Pair again only if you trust the device.`);
    // An older version than the one running: the page offers to install it anyway (a replayed package is not that case).
    if (e.kind === 'older_version') {
      return new ServiceError(`${e.message.replace(/ To return to the previous model.*$/, '')} To go back one model, use Roll back; to install this older version anyway, choose "Install older version".`, 'failed', 'allowDowngrade');
    }
    return new ServiceError(e.message);
  }
  if (e instanceof GapuinoUsbError) return new ServiceError(e.message, e.kind === 'not_found' ? 'not_found' : 'failed');
  if (e instanceof DeployError) {
    const runs = e.device === 'previous-model' || e.device === 'rolled-back' ? '' : ' Reconnect the board and refresh the list to see which model it runs.';
    return new ServiceError(`${e.message}${runs}`);
  }
  return e;
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw asServiceError(e);
  }
}

/** `usb` replaces the usb package's host (tests hand in a fake board). */
export function createDeviceHandlers(ctx: ServiceContext, options: { usb?: UsbHostLoader; store?: LocalStore } = {}): GroupHandlers<typeof deviceMethods> {
  const store = options.store ?? lazyLocalStore(ctx.paths.dataDir);
  const registry = new DeviceRegistry(options.usb ? { usb: options.usb } : {});
  const discoveryOn = ctx.piDiscovery === true;
  let piWatch: PiWatch | undefined;
  let discoveryProblem: string | undefined = discoveryOn ? undefined : 'Network discovery is off: add a Pi by its address below.';
  let watching: Promise<unknown> | undefined;
  // A board answers one conversation at a time; a second deploy to it is refused, not interleaved.
  const inUse = new Set<string>();
  /** What this app last saw a USB board run (USB listing cannot ask the board without opening it). */
  const usbModels = new Map<string, string>();
  let simulator: RunningSimulator | undefined;

  const dataDir = ctx.paths.dataDir;
  const hotplug = (id: string, change: 'attached' | 'detached') => ctx.events.emit('device.hotplug', { id, change });

  const startWatching = () => {
    if (!watching) {
      registry.onChange((c) => {
        if (c.type === 'detach') usbModels.delete(c.device.id);
        hotplug(c.device.id, c.type === 'attach' ? 'attached' : 'detached');
      });
      watching = registry.start().catch(() => undefined);
      if (discoveryOn) {
        piWatch = watchPis({
          onChange: (c) => hotplug(formatPiAddress({ host: c.pi.host, port: c.pi.port }), c.type === 'gone' ? 'detached' : 'attached'),
          onProblem: (message) => (discoveryProblem = message),
        });
      }
    }
    return watching;
  };

  const liveSimulator = (): RunningSimulator | undefined => {
    if (simulator && !simulator.device.alive) simulator = undefined;
    return simulator;
  };

  const findModel = async (id: string): Promise<CatalogEntry> => {
    const { models } = await scanModels([
      { dir: ctx.paths.bundledModelsDir, source: 'bundled' },
      { dir: ctx.paths.userModelsDir, source: 'user' },
    ]);
    const found = models.find((m) => m.meta.id === id);
    if (!found) throw new ServiceError(`field 'modelId': no model with id '${id}' on this computer (see the Models page)`, 'not_found');
    return found;
  };

  const claim = (deviceId: string) => {
    if (inUse.has(deviceId)) throw new ServiceError(`${deviceId} is busy with another deploy or rollback from this app; wait for it to finish.`);
    inUse.add(deviceId);
    return () => inUse.delete(deviceId);
  };

  /** A loader conversation with a GAPuino (simulated or on USB); USB boards are closed again afterwards. */
  const withGapuino = async <T>(deviceId: string, run: (t: ByteTransport) => Promise<T>): Promise<T> => {
    if (deviceId === SIMULATOR_ID) {
      const sim = liveSimulator();
      if (!sim) throw new ServiceError(`field 'deviceId': the simulated GAPuino is not running; start it first.`, 'not_found');
      return run(sim.device);
    }
    if (!(await registry.list()).devices.some((d) => d.id === deviceId)) {
      throw new ServiceError(`field 'deviceId': no GAPuino '${deviceId}' is connected. Check the USB cable, then refresh the list.`, 'not_found');
    }
    const transport = await registry.openGapuino(deviceId);
    try {
      return await run(transport);
    } finally {
      await transport.close().catch(() => undefined);
    }
  };

  const rememberGapuinoModel = (deviceId: string, model: string | undefined) => {
    if (deviceId === SIMULATOR_ID) {
      if (simulator) simulator.model = model;
    } else if (model) usbModels.set(deviceId, model);
    else usbModels.delete(deviceId);
  };

  return {
    'devices.list': async () => {
      await startWatching();
      const [usb, pis] = await Promise.all([
        registry.list(),
        guarded(() => pairedPiStatuses(dataDir, 2500)).catch((e: unknown) => {
          throw e instanceof Error ? new ServiceError(`The list of paired Pis could not be read: ${e.message}`) : e;
        }),
      ]);
      const sim = liveSimulator();
      const devices: DeviceListEntry[] = [
        ...usb.devices.map((d) => {
          const model = usbModels.get(d.id);
          return { ...d, state: inUse.has(d.id) ? ('busy' as const) : d.state, ...(model ? { model } : {}) };
        }),
        ...(sim
          ? [
              {
                id: SIMULATOR_ID,
                kind: 'gapuino' as const,
                name: 'Simulated GAPuino (no hardware: the firmware running on this computer)',
                state: inUse.has(SIMULATOR_ID) ? ('busy' as const) : ('connected' as const),
                simulated: true,
                ...(sim.model ? { model: sim.model } : {}),
              },
            ]
          : []),
        ...pis.map((p) => {
          const e = piEntry(p);
          return inUse.has(e.id) ? { ...e, state: 'busy' as const } : e;
        }),
      ];
      const pairedIds = new Set(pis.map((p) => formatPiAddress(p.pi)));
      const pairedAgents = new Set(pis.map((p) => p.pi.agentId));
      const unpaired = (piWatch?.current() ?? [])
        .map((d) => ({ d, address: formatPiAddress({ host: d.host, port: d.port }) }))
        .filter(({ d, address }) => !pairedIds.has(address) && !(d.agentId && pairedAgents.has(d.agentId)))
        .map(({ d, address }) => ({ address, name: d.name, ...(d.agentId ? { agentId: d.agentId } : {}), ...(d.fingerprintPrefix ? { fingerprintPrefix: d.fingerprintPrefix } : {}) }));
      return { usb: usb.usb, devices, discovery: { available: discoveryProblem === undefined, ...(discoveryProblem ? { reason: discoveryProblem } : {}), unpaired } };
    },

    'devices.pairPi': async ({ address, code, name }) => {
      const a = piAddressOf(address, 'address');
      const pi = await guarded(() => pairPi(dataDir, a, code, name ? { name } : {}));
      const id = formatPiAddress(pi);
      hotplug(id, 'attached');
      return { id, agentId: pi.agentId, fingerprint: pi.fingerprint256 };
    },

    'devices.unpairPi': async ({ deviceId }) => {
      const a = piAddressOf(deviceId, 'deviceId');
      const removed = forgetPairedPi(dataDir, a);
      if (removed) hotplug(formatPiAddress(a), 'detached');
      return { removed };
    },

    'devices.deploy': async ({ deviceId, modelId, allowDowngrade }) => {
      const entry = await findModel(modelId);
      const release = claim(deviceId);
      const t0 = performance.now();
      const progress = (stage: string, fraction: number, detail: string) =>
        ctx.events.emit('device.deployProgress', { deviceId, stage, fraction: Math.min(1, Math.max(0, fraction)), detail });
      // The history of what went where: every deploy this app started, with how it ended.
      const remember = (result: 'succeeded' | 'failed', detail: string) => {
        try {
          recordPackageDeployment(store(), { modelId: entry.meta.id, modelVersion: entry.meta.version, packageDir: entry.dir, device: deviceId, result, detail });
        } catch (e) {
          // The deploy itself is what the technician asked for; a history that cannot be written must not undo it.
          progress('history', 1, `the deployment could not be added to the history: ${(e as Error).message}`);
        }
      };
      try {
        const done = await guarded(async () => {
          if (deviceId.startsWith('pi://')) {
            const target = pairedTarget(dataDir, piAddressOf(deviceId, 'deviceId'));
            const span = { sign: [0, 0.05], upload: [0.05, 0.9], verify: [0.9, 1] } as const;
            const r = await deployToPi(dataDir, target, entry.dir, {
              allowDowngrade: allowDowngrade === true,
              onProgress: (stage, f, detail) => progress(stage, span[stage][0] + (span[stage][1] - span[stage][0]) * f, detail),
            });
            progress('done', 1, `${r.model.id} ${r.model.version} is active on the Pi`);
            const previous = r.previous ? ` The previous model (${r.previous.id} ${r.previous.version}) is kept for rollback.` : '';
            return {
              deviceId,
              modelId: r.model.id,
              modelVersion: r.model.version,
              maxDiffLsb: 0,
              seconds: (performance.now() - t0) / 1000,
              summary: `${r.changed ? 'Deployed' : 'Already active:'} ${r.model.id} ${r.model.version}. Verified: the Pi's output on the golden input equals this computer's, value for value.${previous}`,
            };
          }
          const r = await withGapuino(deviceId, (t) =>
            deployToGapuino(t, entry.dir, {
              onProgress: (p) => {
                const sent = p.totalBytes > 0 ? p.sentBytes / p.totalBytes : 0;
                const f = p.stage === 'connect' ? 0.02 : p.stage === 'transfer' ? 0.05 + 0.8 * sent : p.stage === 'commit' ? 0.88 : p.stage === 'verify' ? 0.93 : p.stage === 'rollback' ? 0.97 : 1;
                progress(p.stage, f, p.message);
              },
            }),
          );
          rememberGapuinoModel(deviceId, `${r.modelId} ${r.modelVersion}`);
          return {
            deviceId,
            modelId: r.modelId,
            modelVersion: r.modelVersion,
            maxDiffLsb: r.maxDiffLsb,
            seconds: (performance.now() - t0) / 1000,
            summary: `Deployed ${r.modelId} ${r.modelVersion} (${r.blobBytes} bytes, slot ${r.slot}). Verified: on the golden input the device's answer differs from onnxruntime on this computer by at most ${r.maxDiffLsb} LSB (1 allowed).`,
          };
        });
        remember('succeeded', done.summary);
        return done;
      } catch (e) {
        if (e instanceof ServiceError) {
          progress('failed', 1, e.message);
          remember('failed', e.message);
        }
        throw e;
      } finally {
        release();
      }
    },

    'devices.history': async ({ deviceId, limit }) => ({
      deployments: listDeployments(store(), deviceId)
        .slice(0, limit ?? 50)
        .map((d) => ({ device: d.device, modelId: d.modelId, modelVersion: d.modelVersion, result: d.result, ...(d.detail ? { detail: d.detail } : {}), deployedAt: d.deployedAt })),
    }),

    'devices.rollback': async ({ deviceId }) => {
      const release = claim(deviceId);
      try {
        return await guarded(async () => {
          if (deviceId.startsWith('pi://')) {
            const r = await rollbackPi(pairedTarget(dataDir, piAddressOf(deviceId, 'deviceId')));
            const model = `${r.active.id} ${r.active.version}`;
            return { deviceId, model, summary: `The Pi runs ${model} again.` };
          }
          const model = await withGapuino(deviceId, async (t) => {
            const client = new LoaderClient(t);
            try {
              await client.rollback();
            } catch (e) {
              throw new ServiceError(`The board could not roll back: ${(e as Error).message}. It keeps running the model it had.`);
            }
            return loaderModel(await client.hello());
          });
          rememberGapuinoModel(deviceId, model);
          return { deviceId, ...(model ? { model } : {}), summary: model ? `The board runs ${model} again.` : 'The board has no valid model now.' };
        });
      } finally {
        release();
      }
    },

    'devices.startSimulator': async () => {
      const running = liveSimulator();
      if (running) return { deviceId: SIMULATOR_ID, ...(running.model ? { model: running.model } : {}) };
      const firmwareDir = join(repoRoot, 'firmware');
      if (!existsSync(join(firmwareDir, 'Makefile'))) throw new ServiceError(`The simulated GAPuino needs the firmware sources (${firmwareDir}), which this installation does not have.`);
      const dir = join(dataDir, 'devices', 'simulator');
      mkdirSync(dir, { recursive: true });
      let loaderPath: string;
      try {
        loaderPath = buildSimulatedGapuinoLoader(firmwareDir, join(dir, 'build'));
      } catch (e) {
        throw new ServiceError(`The simulated GAPuino could not be built; it needs make and a C compiler. ${(e as Error).message}`);
      }
      // The flash image persists, so the simulated board keeps its model between runs like a real one.
      const device = SimulatedGapuino.start({ loaderPath, flashImage: join(dir, 'flash.img') });
      let info: DeviceInfo;
      try {
        info = await new LoaderClient(device).hello();
      } catch (e) {
        await device.kill();
        throw new ServiceError(`The simulated GAPuino started but did not answer: ${(e as Error).message}`);
      }
      simulator = { device, model: loaderModel(info) };
      hotplug(SIMULATOR_ID, 'attached');
      return { deviceId: SIMULATOR_ID, ...(simulator.model ? { model: simulator.model } : {}) };
    },

    'devices.stopSimulator': async () => {
      const sim = liveSimulator();
      if (!sim) return { stopped: false };
      if (inUse.has(SIMULATOR_ID)) throw new ServiceError('The simulated GAPuino is busy with a deploy; wait for it to finish, then stop it.');
      simulator = undefined;
      await sim.device.close();
      hotplug(SIMULATOR_ID, 'detached');
      return { stopped: true };
    },
  };
}
