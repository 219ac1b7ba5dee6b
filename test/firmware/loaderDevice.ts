// Shared by the loader and deploy tests: a host loader build, and devices started on a flash image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { LoaderClient, type DeviceInfo } from '../../src-main/devices/gapuino/loaderProtocol';
import { buildSimulatedGapuinoLoader, SimulatedGapuino } from '../../src-main/devices/gapuino/simulatedGapuino';
import { firmwareDir, tempDir } from './buildFirmware';
import type { TestPackage } from './loaderPackages';

/** By default the ASan+UBSan loader: flash and protocol bugs fail loudly instead of corrupting quietly. */
export function buildLoader(sanitized = true): string {
  const build = tempDir('tm2-loader-build-');
  if (!sanitized) return buildSimulatedGapuinoLoader(firmwareDir, build);
  const r = spawnSync('make', ['-s', '-j2', '-C', firmwareDir, `BUILD=${build}`, 'loader', 'SAN=1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make loader SAN=1 failed:\n${r.stdout}${r.stderr}`);
  return path.join(build, 'host', 'tm2_loader');
}

/** Checks the device runs one of `allowed` and that INFER gives exactly that model's reference outputs. */
export async function assertRunsValidModel(client: LoaderClient, allowed: readonly TestPackage[], what: string): Promise<{ info: DeviceInfo; pkg: TestPackage }> {
  const info = await client.hello();
  const pkg = allowed.find((p) => p.meta.id === info.modelId && p.meta.version === info.modelVersion);
  assert.ok(pkg, `${what}: device runs '${info.modelId} ${info.modelVersion}', expected one of ${allowed.map((p) => p.meta.id).join(', ')}`);
  const result = await client.infer(pkg.golden.inputs);
  assert.deepEqual(result.outputs, pkg.golden.outputs, `${what}: INFER on ${pkg.meta.id} equals the reference kernels`);
  return { info, pkg };
}

export function startDevice(loader: string, flashImage: string, env?: Record<string, string>): { device: SimulatedGapuino; client: LoaderClient } {
  const device = SimulatedGapuino.start({ loaderPath: loader, flashImage, ...(env ? { env } : {}) });
  return { device, client: new LoaderClient(device, { timeoutMs: 400, retries: 3 }) };
}
