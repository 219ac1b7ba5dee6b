/**
 * Deploys a model package to a GAPuino over the loader protocol: HELLO → BEGIN → DATA… → COMMIT → verify
 * by INFER on the golden input against onnxruntime. The device only switches models at COMMIT, after
 * checking the SHA-256 and parsing the blob, so any failure before that leaves the previous model
 * running; a model that commits but answers differently from the app is rolled back.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openModelSession } from '../../infer/modelSession';
import { loadPackage } from '../../models/catalog';
import { INPUT_LIMITS, readInputFile, resolveInside } from '../../storage/inputFile';
import { goldenInputs } from '../pi/goldenInput';
import { TransportClosedError, type ByteTransport } from '../transport';
import { LoaderClient, LoaderError, LoaderNoReplyError, type DeviceInfo, type LoaderClientOptions } from './loaderProtocol';

export type DeployStage = 'connect' | 'transfer' | 'commit' | 'verify' | 'rollback' | 'done';

export interface DeployProgress {
  readonly stage: DeployStage;
  readonly sentBytes: number;
  readonly totalBytes: number;
  readonly message: string;
}

export interface DeployResult {
  readonly slot: number;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly blobBytes: number;
  /** Largest |device − onnxruntime| over the golden logits (≤ 1 or the deploy fails). */
  readonly maxDiffLsb: number;
  readonly cycles: bigint;
  readonly retransmissions: number;
}

/** What the device runs after a failed deploy, as far as the app can tell. */
export type DeviceState = 'previous-model' | 'rolled-back' | 'unknown';

export class DeployError extends Error {
  override readonly name = 'DeployError';
  constructor(
    message: string,
    readonly stage: DeployStage,
    readonly device: DeviceState,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface DeployOptions extends LoaderClientOptions {
  readonly onProgress?: (p: DeployProgress) => void;
  /** Bytes per DATA frame (≤ the device's maximum payload − 4). */
  readonly chunkBytes?: number;
}

function linkAdvice(e: unknown): string {
  if (e instanceof TransportClosedError) return `the connection to the device was lost (${e.message}). Check the USB cable and power, then deploy again`;
  if (e instanceof LoaderNoReplyError) return `${e.message}. Check that the board is powered and running the TinyM2 loader firmware, then deploy again`;
  return e instanceof Error ? e.message : String(e);
}

export async function deploy(transport: ByteTransport, packageDir: string, options: DeployOptions = {}): Promise<DeployResult> {
  const progress = (stage: DeployStage, sentBytes: number, totalBytes: number, message: string) => options.onProgress?.({ stage, sentBytes, totalBytes, message });
  const loaded = await loadPackage(packageDir);
  if ('reason' in loaded) throw new DeployError(`${loaded.path}: ${loaded.reason}`, 'connect', 'previous-model');
  const meta = loaded;
  if (!meta.files.firmwareBlob) {
    throw new DeployError(`${join(packageDir, 'model.json')}: this package has no firmware blob (files.firmwareBlob); re-export the model for GAP8`, 'connect', 'previous-model');
  }
  const blob = new Uint8Array(await readInputFile(resolveInside(packageDir, meta.files.firmwareBlob, 'files.firmwareBlob'), { maxBytes: INPUT_LIMITS.modelFileBytes, kind: 'firmware blob', noSymlink: true }));
  const sha = createHash('sha256').update(blob).digest();
  const client = new LoaderClient(transport, options);

  progress('connect', 0, blob.length, `Connecting to ${transport.description}`);
  let info: DeviceInfo;
  try {
    info = await client.hello();
  } catch (e) {
    throw new DeployError(`Could not talk to the device: ${linkAdvice(e)}.`, 'connect', 'previous-model', e);
  }
  if (info.slotBytes < blob.length) {
    throw new DeployError(
      `The model is ${blob.length} bytes but a model slot on this device holds ${info.slotBytes} bytes; choose a smaller model or a larger memory level.`,
      'connect',
      'previous-model',
    );
  }
  const chunk = Math.min(options.chunkBytes ?? 2048, info.maxPayload - 4);

  // Until COMMIT is acknowledged the device keeps running its previous model, whatever happens.
  let sent = 0;
  try {
    progress('transfer', 0, blob.length, `Sending ${meta.name} ${meta.version} (${blob.length} bytes)`);
    await client.begin(blob.length, sha);
    let offset = 0;
    let stalls = 0;
    while (offset < blob.length) {
      const next = await client.data(offset, blob.subarray(offset, Math.min(blob.length, offset + chunk)));
      // The device names the offset it expects; going backwards means it restarted the transfer.
      if (next <= offset && ++stalls > 8) throw new Error(`the device keeps asking for byte ${next} again`);
      offset = next;
      sent = Math.max(sent, offset);
      progress('transfer', offset, blob.length, `Sent ${offset} of ${blob.length} bytes`);
    }
  } catch (e) {
    throw new DeployError(`The transfer stopped after ${sent} of ${blob.length} bytes: ${linkAdvice(e)}. The device still runs its previous model.`, 'transfer', 'previous-model', e);
  }

  let slot: number;
  try {
    progress('commit', blob.length, blob.length, 'Checking the model on the device and switching to it');
    slot = await client.commit();
  } catch (e) {
    if (e instanceof LoaderError) {
      throw new DeployError(`The device refused the new model: ${e.message}. It still runs its previous model.`, 'commit', 'previous-model', e);
    }
    throw new DeployError(
      `The connection failed while the device was switching models: ${linkAdvice(e)}. The device runs either its previous model or the new one (both are checked at start-up); reconnect to see which.`,
      'commit',
      'unknown',
      e,
    );
  }

  progress('verify', blob.length, blob.length, 'Comparing the device’s answer with this computer’s');
  let failure: string;
  let cause: unknown;
  try {
    const after = await client.hello();
    if (after.modelId !== meta.id || after.modelVersion !== meta.version) {
      failure = `after the switch the device reports model ${after.modelId} ${after.modelVersion}, not ${meta.id} ${meta.version}`;
    } else {
      const inputs = goldenInputs(meta);
      const session = await openModelSession(packageDir);
      let expected: Int8Array;
      try {
        expected = await session.run(inputs);
      } finally {
        await session.release();
      }
      const got = await client.infer(inputs, Math.min(2048, info.maxPayload));
      const logits = got.outputs[0];
      let maxDiff = Infinity;
      if (logits && logits.length === expected.length) maxDiff = Math.max(0, ...Array.from(expected, (v, i) => Math.abs(v - logits[i]!)));
      if (maxDiff <= 1) {
        progress('done', blob.length, blob.length, `${meta.name} ${meta.version} is running on the device (slot ${slot})`);
        return { slot, modelId: meta.id, modelVersion: meta.version, blobBytes: blob.length, maxDiffLsb: maxDiff, cycles: got.cycles, retransmissions: client.retransmissions };
      }
      failure = logits && logits.length === expected.length
        ? `the device's answer differs from this computer's by ${maxDiff} steps (at most 1 is allowed); the firmware may not match this app version`
        : `the device returned ${logits?.length ?? 0} outputs where the model has ${expected.length}`;
    }
  } catch (e) {
    failure = `the check of the new model failed: ${linkAdvice(e)}`;
    cause = e;
  }

  progress('rollback', blob.length, blob.length, 'Returning the device to its previous model');
  try {
    await client.rollback();
  } catch (e) {
    const hadPrevious = info.runningSlot !== undefined;
    throw new DeployError(
      `Deploy failed: ${failure}. Returning to the previous model also failed (${linkAdvice(e)})${hadPrevious ? '; reconnect and deploy again' : ': the device had no previous model'}.`,
      'rollback',
      'unknown',
      cause ?? e,
    );
  }
  throw new DeployError(`Deploy failed: ${failure}. The device is back on its previous model.`, 'verify', 'rolled-back', cause);
}
