/**
 * The studio's side of a Pi: pair, read its state, deploy a signed model and prove it runs there exactly
 * as here, roll back. Every failure is a PiDeviceError whose message says what to do next.
 */
import type { z } from 'zod';
import { loadPackage } from '../../models/catalog';
import { openModelSession } from '../../infer/modelSession';
import { MAX_DEPLOY_SEQUENCE, signManifest, stampManifest, type PackageContents } from '../modelSigning';
import { packageContents } from './deployPackage';
import { nextDeploySequence } from './deploySequence';
import { goldenInputs } from './goldenInput';
import { formatPiAddress, type PiAddress } from './piAddress';
import { piRequest, type PiTarget } from './piConnection';
import { PiDeviceError } from './piDeviceError';
import { findPairedPi, loadPairedPis, rememberPairedPi, type PairedPi } from './pairedPis';
import {
  activationResponseSchema,
  agentErrorBodySchema,
  inferResponseSchema,
  infoResponseSchema,
  int8ToBase64,
  pairResponseSchema,
  type ActivationResponse,
  type InferResponse,
  type InfoResponse,
} from './piProtocol';
import { loadOrCreateStudioKey } from './studioKey';
import { uploadBody } from './uploadFormat';

/** The agent's refusal (status and JSON body) as the sentence to show, with what to do next. */
export function agentRefusal(t: PiAddress, status: number, body: unknown): PiDeviceError {
  const parsed = agentErrorBodySchema.safeParse(body);
  const where = formatPiAddress(t);
  if (!parsed.success) return new PiDeviceError('refused', `The Pi at ${where} answered HTTP ${status} with something that is not a tinym2-agent answer: is another program on that port?`);
  const { code, error, retryAfterSeconds } = parsed.data;
  switch (code) {
    case 'unauthorized':
      return new PiDeviceError('token_rejected', `The Pi at ${where} rejected this studio's token (its pairings were reset, or it is a different Pi). Pair again with the code it shows: tinym2 pair ${where} --code <code>.`);
    case 'pairing_code_wrong':
      return new PiDeviceError('pairing_code_wrong', `The Pi at ${where} refused the pairing code: it is wrong or expired. Read the current code from the agent's console and try again (5 wrong codes burn a code; the agent then locks pairing for a while and shows a new one).`);
    case 'pairing_locked':
      return new PiDeviceError('pairing_locked', `Pairing with ${where} is locked after too many wrong codes. Wait ${retryAfterSeconds ?? 60} s, then use the new code the agent shows.`);
    case 'signature_rejected':
      return new PiDeviceError('signature_rejected', `The Pi at ${where} refused the model's signature (${error}). The package was changed after signing or this studio is not the one paired with the Pi: pair again. The previous model stays active.`);
    case 'hash_mismatch':
      return new PiDeviceError('upload_corrupted', `A file arrived corrupted at ${where} (${error}). The previous model stays active. Try again; if it repeats, check the network link.`);
    case 'test_inference_failed':
      return new PiDeviceError('test_inference_failed', `The model failed its test inference on the Pi at ${where}, so the previous model stays active: ${error}`);
    case 'package_invalid':
      // Same kind as a failed test inference (the package does not become active), in its own words.
      return new PiDeviceError('test_inference_failed', `The Pi at ${where} refused the package, so the previous model stays active: ${error}`);
    case 'no_model':
      return new PiDeviceError('no_model', `The Pi at ${where} has no active model: deploy one first (tinym2 deploy <model> --to ${where}).`);
    case 'no_previous_model':
      return new PiDeviceError('no_previous_model', `The Pi at ${where} cannot roll back: ${error}.`);
    case 'busy':
      return new PiDeviceError('busy', `The Pi at ${where} is busy: another deploy or rollback (from this or another studio) is in progress there. Try again when it finishes; nothing changed.`);
    case 'upload_too_slow':
      return new PiDeviceError('upload_too_slow', `The Pi at ${where} stopped the upload because it arrived too slowly (${error.replace(/^the upload was too slow: /, '').replace(/\. It was stopped.*$/, '')}). The previous model stays active. Check the network link to the Pi (Wi-Fi signal, a busy network) and try again.`);
    case 'downgrade_refused':
      return new PiDeviceError('downgrade_refused', `The Pi at ${where} refused the model: ${error.replace(/^downgrade refused: /, '')}.`);
    case 'older_version': {
      // The agent's hint after "To return" speaks of the protocol; the studio says what to do in the words
      // of its CLI and page. (The API handler cuts this sentence at the same words and puts the page's own.)
      const what = error.replace(/^downgrade refused: /, '').replace(/ To return to the previous model[\s\S]*$/, '').replace(/[.;,\s]*$/, '');
      return new PiDeviceError(
        'older_version',
        `The Pi at ${where} refused the model: ${what}. To return to the previous model, roll back (tinym2 rollback --to ${where}, or Roll back on the Devices page); ` +
          'to install this older version anyway, deploy it with --allow-downgrade (tinym2 deploy) or choose Install older version (Devices page).',
      );
    }
    default:
      return new PiDeviceError('refused', `The Pi at ${where} refused the request (HTTP ${status}): ${error}`);
  }
}

function accept<T>(t: PiAddress, res: { status: number; body: unknown }, schema: z.ZodType<T>): T {
  if (res.status < 200 || res.status >= 300) throw agentRefusal(t, res.status, res.body);
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) throw new PiDeviceError('refused', `The Pi at ${formatPiAddress(t)} gave an answer this studio does not understand (field '${parsed.error.issues[0]!.path.join('.')}'): update tinym2-agent on the Pi.`);
  return parsed.data;
}

/** The stored pairing for an address; a clear instruction when there is none. */
export function pairedTarget(dataDir: string, a: PiAddress): PairedPi {
  const pi = findPairedPi(dataDir, a);
  if (!pi) throw new PiDeviceError('not_paired', `${formatPiAddress(a)} is not paired with this studio. Pair it first: tinym2 pair ${formatPiAddress(a)} --code <code shown by the agent>.`);
  return pi;
}

export interface PairOptions {
  /** When given (read from the agent's console), pairing stops unless the certificate matches. */
  readonly expectedFingerprint?: string;
  readonly name?: string;
}

/** Trust on first use: the certificate seen now is pinned; the technician compares its fingerprint with the agent's console. */
export async function pairPi(dataDir: string, a: PiAddress, code: string, o: PairOptions = {}): Promise<PairedPi> {
  const key = loadOrCreateStudioKey(dataDir);
  const expected = o.expectedFingerprint?.toUpperCase();
  const res = await piRequest({ ...a, ...(expected ? { fingerprint256: expected } : {}) }, 'POST', '/pair', { json: { code, studioPublicKey: key.publicKeyPem, studioName: o.name ?? 'TinyM2 Studio' }, timeoutMs: 15_000 });
  const paired = accept(a, res, pairResponseSchema);
  const pi: PairedPi = { agentId: paired.agentId, host: a.host, port: a.port, fingerprint256: res.fingerprint256, token: paired.token, pairedAt: new Date().toISOString(), ...(o.name ? { name: o.name } : {}) };
  rememberPairedPi(dataDir, pi);
  return pi;
}

export async function piInfo(t: PiTarget, timeoutMs = 10_000): Promise<InfoResponse> {
  const res = await piRequest(t, 'GET', '/info', { timeoutMs });
  if (res.status >= 200 && res.status < 300) refuseSequenceOverMaximum(t, res.body);
  return accept(t, res, infoResponseSchema);
}

/**
 * A deploy sequence above the maximum in `/info` is refused with its own sentence rather than "an answer
 * this studio does not understand": signing above it is impossible, and the person needs to know why.
 */
function refuseSequenceOverMaximum(t: PiAddress, body: unknown): void {
  const reported = (body as { deploySequences?: unknown } | null)?.deploySequences;
  if (typeof reported !== 'object' || reported === null) return;
  for (const [modelId, entry] of Object.entries(reported)) {
    const sequence = (entry as { sequence?: unknown } | null)?.sequence;
    if (typeof sequence === 'number' && sequence > MAX_DEPLOY_SEQUENCE) {
      throw new PiDeviceError(
        'deploy_sequence',
        `The Pi at ${formatPiAddress(t)} reports deploy sequence ${sequence} for ${modelId.slice(0, 100)}, above 2^40 (${MAX_DEPLOY_SEQUENCE}), the largest any TinyM2 Studio signs and a current tinym2-agent accepts. ` +
          'That agent is out of date or not a genuine tinym2-agent: update tinym2-agent on the Pi (and check which studios are paired with it). Nothing was sent.',
      );
    }
  }
}

/** Inputs in the model's modality order, named by `modalities`. */
export async function inferOnPi(t: PiTarget, modalities: readonly string[], inputs: readonly Int8Array[], timeoutMs = 15_000): Promise<InferResponse> {
  const json = { inputs: modalities.map((modality, i) => ({ modality, int8: int8ToBase64(inputs[i]!) })) };
  return accept(t, await piRequest(t, 'POST', '/infer', { json, timeoutMs }), inferResponseSchema);
}

export async function rollbackPi(t: PiTarget): Promise<ActivationResponse> {
  return accept(t, await piRequest(t, 'POST', '/rollback', { timeoutMs: 30_000 }), activationResponseSchema);
}

export type DeployStage = 'sign' | 'upload' | 'verify';

export interface DeployOptions {
  readonly onProgress?: (stage: DeployStage, fraction: number, detail: string) => void;
  readonly signal?: AbortSignal;
  /**
   * Install this model even if it is an older version than the one the Pi runs. Signed into the
   * manifest, so only this studio can say it. Set it only from the person's explicit choice ("install
   * older version"), never as a retry after a downgrade refusal. (The one automatic retry, after another
   * studio's deploy took the sequence this one signed, keeps the person's choice as it was.)
   */
  readonly allowDowngrade?: boolean;
}

export interface DeployReport {
  readonly device: string;
  readonly model: { readonly id: string; readonly version: string };
  readonly uploadBytes: number;
  readonly changed: boolean;
  readonly previous: { readonly id: string; readonly version: string } | null;
  readonly seconds: { readonly sign: number; readonly upload: number; readonly verify: number; readonly total: number };
  /** The device's int8 output on the golden input equals this computer's, value for value. */
  readonly verified: true;
  readonly deviceLatencyMs: number;
}

/** The package's files as a deploy sends them, with refusals in the words of a Pi deploy. */
async function deployableContents(pkgDir: string): Promise<PackageContents> {
  try {
    return await packageContents(pkgDir);
  } catch (e) {
    throw new PiDeviceError('package_not_deployable', (e as Error).message);
  }
}

/**
 * Sign → upload (the agent checks and activates) → run the golden input there and here, and require the
 * same integers. On a mismatch the deploy is undone with a rollback and reported.
 *
 * Two studios deploying the same model to one Pi at the same moment can both read sequence N in `/info`
 * and sign N + 1; the Pi takes the first and refuses the second as an old package sent again. So a
 * `downgrade_refused` answer to a sequenced upload is retried once, with a fresh `/info` and a new
 * sequence. Only once: a second refusal is shown (it is a real replay, or the other studio keeps deploying).
 */
export async function deployToPi(dataDir: string, t: PiTarget, pkgDir: string, o: DeployOptions = {}): Promise<DeployReport> {
  const t0 = performance.now();
  const loaded = await loadPackage(pkgDir);
  if ('reason' in loaded) throw new Error(`${loaded.path}: ${loaded.reason}`);
  o.onProgress?.('sign', 0, 'signing');
  // Read and checked before anything goes to the Pi: only model.json and the files it names are sent.
  const contents = await deployableContents(pkgDir);
  const key = loadOrCreateStudioKey(dataDir).privateKey;
  let t1 = performance.now();
  let uploadBytes = 0;
  let activation: ActivationResponse;
  for (let attempt = 1; ; attempt++) {
    // The Pi says which deploy sequence it has reached for this model; the new one is signed above it.
    const info = await piInfo(t);
    const reached = info.deploySequences;
    const reported = reached && Object.hasOwn(reached, contents.modelId) ? reached[contents.modelId]!.sequence : 0;
    const stamp = reached ? { sequence: nextDeploySequence(dataDir, { agentId: info.agentId, pi: formatPiAddress(t), modelId: contents.modelId, reported }), allowDowngrade: o.allowDowngrade === true } : undefined;
    // An agent from before downgrade protection reads only unsequenced (format 1) manifests.
    if (!stamp) o.onProgress?.('sign', 0, `tinym2-agent ${info.agentVersion} on the Pi has no downgrade protection: update it`);
    const signed = signManifest(stampManifest(contents, stamp), key);
    const body = uploadBody(pkgDir, signed);
    uploadBytes = body.length;
    t1 = performance.now();
    const res = await piRequest(t, 'POST', '/models', {
      body,
      ...(o.signal ? { signal: o.signal } : {}),
      onUploadProgress: (sent, total) => o.onProgress?.('upload', sent / total, `${Math.round(sent / 1024)} / ${Math.round(total / 1024)} KiB`),
      timeoutMs: 60_000 + body.length / 50,
    });
    if (res.status >= 200 && res.status < 300) {
      activation = accept(t, res, activationResponseSchema);
      break;
    }
    const refusal = agentRefusal(t, res.status, res.body);
    // For a sequenced upload this code means only "sequence not above the record" (older_version is its own code).
    if (refusal.kind !== 'downgrade_refused' || !stamp || attempt > 1) throw refusal;
    o.onProgress?.('sign', 0, 'another studio deployed this model to the Pi meanwhile: signing again with a new deploy sequence');
  }
  const t2 = performance.now();
  o.onProgress?.('verify', 0, 'golden inference on the Pi and here');
  const inputs = goldenInputs(loaded);
  const local = await openModelSession(pkgDir);
  let expected: Int8Array;
  try {
    expected = await local.run(inputs);
  } finally {
    await local.release();
  }
  const remote = await inferOnPi(t, loaded.modalities.map((m) => m.name), inputs);
  const same = remote.model.id === loaded.id && remote.model.version === loaded.version && remote.output.length === expected.length && remote.output.every((v, i) => v === expected[i]);
  if (!same) {
    let undone = '';
    if (activation.changed && activation.previous) {
      await rollbackPi(t).then(
        (r) => (undone = ` It was rolled back to ${r.active.id} ${r.active.version}.`),
        (e: unknown) => (undone = ` Rolling back failed too (${(e as Error).message}).`),
      );
    }
    const where = remote.model.id !== loaded.id || remote.model.version !== loaded.version ? `the Pi runs ${remote.model.id} ${remote.model.version}` : 'its output differs from this computer\'s';
    throw new PiDeviceError('verification_mismatch', `After the upload, the golden-input check failed on ${formatPiAddress(t)}: ${where}.${undone}`);
  }
  o.onProgress?.('verify', 1, 'same output on the Pi and here');
  const t3 = performance.now();
  return {
    device: formatPiAddress(t),
    model: { id: loaded.id, version: loaded.version },
    uploadBytes,
    changed: activation.changed,
    previous: activation.previous ? { id: activation.previous.id, version: activation.previous.version } : null,
    seconds: { sign: (t1 - t0) / 1000, upload: (t2 - t1) / 1000, verify: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
    verified: true,
    deviceLatencyMs: remote.latencyMs,
  };
}

export interface PiStatus {
  readonly pi: PairedPi;
  readonly state: 'online' | 'offline' | 'fingerprint_changed' | 'token_rejected' | 'error';
  readonly info?: InfoResponse;
  readonly problem?: string;
}

/** Every paired Pi with what it says about itself, asked in parallel with a short timeout. */
export async function pairedPiStatuses(dataDir: string, timeoutMs = 4000): Promise<PiStatus[]> {
  return Promise.all(
    loadPairedPis(dataDir).map(async (pi): Promise<PiStatus> => {
      try {
        return { pi, state: 'online', info: await piInfo(pi, timeoutMs) };
      } catch (e) {
        const kind = e instanceof PiDeviceError ? e.kind : undefined;
        const state = kind === 'unreachable' ? 'offline' : kind === 'fingerprint_changed' ? 'fingerprint_changed' : kind === 'token_rejected' ? 'token_rejected' : 'error';
        return { pi, state, problem: (e as Error).message };
      }
    }),
  );
}
