/**
 * The agent's models on disk and the one it runs. An upload is streamed into `staging/<id>/`, each file
 * fsynced and hashed as it lands; only a package whose signature, hashes, model.json and a test inference
 * all pass is renamed into `models/<dir>/`, and then `active.json` is replaced atomically. So a cut
 * connection, a tampered file or a kill -9 at any moment leaves the previous model active. The model
 * before the active one is kept for `POST /rollback`; older ones are removed.
 *
 * One change at a time: a second upload (or a rollback) while one is in flight is refused at once with
 * 409 busy rather than queued behind it, and an upload slower than the pace floor is stopped (408), so
 * no client holds the slot for long. Uploads that would go back to an older model are refused unless the
 * studio signed that choice (downgradeGuard.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { openModelSession, type ModelSession } from '../infer/modelSession';
import { MANIFEST_FORMAT, packageContentDigest, verifySignedManifest, type SignedManifest } from '../devices/modelSigning';
import { fsyncDir, writeFileAtomic } from '../storage/atomicFile';
import { resolveInside } from '../storage/inputFile';
import { modelRefSchema, type ActivationResponse, type ModelRef } from '../devices/pi/piProtocol';
import { ChunkReader, MAX_UPLOAD_HEADER_BYTES, UPLOAD_MAGIC, uploadHeaderSchema } from '../devices/pi/uploadFormat';
import { AgentError } from './agentError';
import { deploySequencesSchema, downgradeRefusal, recordActivation, type DeployRecord } from './downgradeGuard';
import { watchUploadPace, type PaceWatch, type UploadPacePolicy } from './uploadPace';

/**
 * The deploy record (`sequences`, `sequencedOnly`) sits beside the pointer so an activation and its record
 * are one atomic write. A file from before `sequencedOnly` existed had taken a sequenced deploy exactly
 * when it has a sequence recorded.
 */
const activeFileSchema = z
  .object({ active: modelRefSchema.nullable(), previous: modelRefSchema.nullable(), sequences: deploySequencesSchema.default({}), sequencedOnly: z.boolean().optional() })
  .transform((f) => ({ ...f, sequencedOnly: f.sequencedOnly ?? Object.keys(f.sequences).length > 0 }));
type ActiveFile = z.output<typeof activeFileSchema>;

/** Kept beside the package's files so a restart can re-check them against what was signed. */
const SIGNED_MANIFEST_FILE = '.signed-manifest.json';

/** A session with a count of running inferences, so it is released only once nobody uses it. */
class CountedSession {
  private inFlight = 0;
  private retired = false;
  constructor(
    readonly ref: ModelRef,
    readonly session: ModelSession,
  ) {}
  async run(inputs: readonly Int8Array[]): Promise<Int8Array> {
    this.inFlight++;
    try {
      return await this.session.run(inputs);
    } finally {
      this.inFlight--;
      if (this.retired && this.inFlight === 0) void this.session.release().catch(() => undefined);
    }
  }
  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) void this.session.release().catch(() => undefined);
  }
}

export interface StoreLimits {
  readonly maxUploadBytes: number;
  readonly pace: UploadPacePolicy;
}

/** A file being written from an upload: the part of a FileHandle the store uses. */
export interface StagedFile {
  write(chunk: Buffer): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where uploaded files are written. A seam so tests can give the store a disk as slow as a worn SD card;
 * the agent always uses the real one.
 */
export interface UploadDisk {
  /** Creates `path`, which must not exist yet. */
  create(path: string): Promise<StagedFile>;
}

const realDisk: UploadDisk = { create: (path) => open(path, 'wx', 0o644) };

export class ModelStore {
  private readonly modelsDir: string;
  private readonly stagingDir: string;
  private readonly activePath: string;
  private pointer: ActiveFile = { active: null, previous: null, sequences: {}, sequencedOnly: false };
  private current: CountedSession | undefined;
  private problem: string | undefined;
  /** The upload or rollback changing the pointer now, if any; inference never waits for it. */
  private changing: 'deploy' | 'rollback' | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
    private readonly disk: UploadDisk = realDisk,
  ) {
    this.modelsDir = join(dataDir, 'models');
    this.stagingDir = join(dataDir, 'staging');
    this.activePath = join(dataDir, 'active.json');
  }

  /** Cleans up after any crash, then opens the active model (falling back to the previous one if it no longer checks out). */
  async init(): Promise<void> {
    rmSync(this.stagingDir, { recursive: true, force: true });
    mkdirSync(this.stagingDir, { recursive: true });
    // Temp files of a state write that a kill interrupted (the rename never happened, so they are garbage).
    for (const name of readdirSync(this.dataDir)) if (name.startsWith('.') && name.endsWith('.tmp')) rmSync(join(this.dataDir, name), { force: true });
    mkdirSync(this.modelsDir, { recursive: true });
    if (existsSync(this.activePath)) this.pointer = this.readPointer();
    const candidates = [this.pointer.active, this.pointer.previous].filter((r): r is ModelRef => r !== null);
    for (const ref of candidates) {
      try {
        const session = await this.openChecked(join(this.modelsDir, ref.dir));
        this.current = new CountedSession(ref, session);
        if (ref !== this.pointer.active) {
          this.problem = `the active model ${this.pointer.active?.id} ${this.pointer.active?.version} failed its check at start; its previous model is running instead`;
          this.log(this.problem);
          this.writePointer({ ...this.pointer, active: ref, previous: null });
        }
        break;
      } catch (e) {
        this.log(`model ${ref.id} ${ref.version} (${ref.dir}) cannot be used: ${(e as Error).message}`);
      }
    }
    if (!this.current && candidates.length) {
      this.problem = 'no stored model passed its check at start; deploy a model again';
      this.writePointer({ ...this.pointer, active: null, previous: null });
    }
    this.collectGarbage();
  }

  state(): { active: ModelRef | null; previous: ModelRef | null; problem?: string } {
    return { active: this.current?.ref ?? null, previous: this.pointer.previous, ...(this.problem ? { problem: this.problem } : {}) };
  }

  /** Per model id, the highest deploy sequence activated here (the studio signs its next deploy above it). */
  deploySequences(): ActiveFile['sequences'] {
    return this.pointer.sequences;
  }

  running(): { ref: ModelRef; meta: ModelSession['meta']; run(inputs: readonly Int8Array[]): Promise<Int8Array> } | undefined {
    const c = this.current;
    return c ? { ref: c.ref, meta: c.session.meta, run: (inputs) => c.run(inputs) } : undefined;
  }

  /** Takes the one change slot, or refuses at once: a queued deploy would wait on someone else's link. */
  private claim(what: 'deploy' | 'rollback'): () => void {
    if (this.changing) {
      const other = this.changing === 'deploy' ? 'another deploy to this device' : 'a rollback on this device';
      throw new AgentError(409, 'busy', `busy: ${other} is in progress; try again when it finishes`);
    }
    this.changing = what;
    let held = true;
    // Once only: a late second call must not free a slot someone else has taken since.
    return () => {
      if (held && this.changing === what) this.changing = undefined;
      held = false;
    };
  }

  /** active.json, or an error that names it: the agent cannot guess which model to run, or its deploy record. */
  private readPointer(): ActiveFile {
    const fix = "fix the file, or remove it (the agent then starts with no active model and forgets its deploy record, so deploy again)";
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.activePath, 'utf8'));
    } catch (e) {
      throw new Error(`${this.activePath}: cannot be read as JSON (${(e as Error).message}); ${fix}`);
    }
    const parsed = activeFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${this.activePath}: field '${issue.path.join('.') || '(root)'}': ${issue.message}; ${fix}`);
    }
    return parsed.data;
  }

  private writePointer(p: ActiveFile): void {
    writeFileAtomic(this.activePath, `${JSON.stringify(p, null, 2)}\n`);
    this.pointer = p;
  }

  /** Opens a stored package after re-checking its files against the signed manifest kept with it. */
  private async openChecked(dir: string): Promise<ModelSession> {
    const signedPath = join(dir, SIGNED_MANIFEST_FILE);
    if (!existsSync(signedPath)) throw new Error(`${signedPath} is missing`);
    const signed = uploadHeaderSchema.parse(JSON.parse(readFileSync(signedPath, 'utf8')));
    for (const f of signed.manifest.files) {
      const p = resolveInside(dir, f.name, 'a file name in the signed manifest');
      if (!existsSync(p)) throw new Error(`${p} is missing`);
      if (createHash('sha256').update(readFileSync(p)).digest('hex') !== f.sha256) throw new Error(`${p} does not match its signed SHA-256`);
    }
    return this.openAndTest(dir).then((r) => r.session);
  }

  /** onnxruntime must load it and answer a test inference (every modality at its zero point). */
  private async openAndTest(dir: string): Promise<{ session: ModelSession; latencyMs: number; outputLength: number }> {
    const session = await openModelSession(dir);
    try {
      const inputs = session.meta.modalities.map((m, i) => new Int8Array(m.inputShape.reduce((a, b) => a * b, 1)).fill(session.io.inputs[i]?.zeroPoint ?? 0));
      const t0 = performance.now();
      const out = await session.run(inputs);
      const latencyMs = performance.now() - t0;
      if (out.length === 0) throw new Error('the test inference returned an empty output');
      return { session, latencyMs, outputLength: out.length };
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
  }

  /** Receives, checks and activates one upload. `publicKeyPem` is the key of the studio that sent it. */
  async receive(body: AsyncIterable<Buffer | string>, contentLength: number | undefined, publicKeyPem: string, limits: StoreLimits): Promise<ActivationResponse> {
    if (contentLength === undefined || !Number.isFinite(contentLength)) throw new AgentError(411, 'bad_request', 'the upload needs a Content-Length');
    if (contentLength > limits.maxUploadBytes) throw new AgentError(413, 'too_large', `the upload is ${contentLength} bytes; this agent accepts at most ${limits.maxUploadBytes}`);
    const release = this.claim('deploy');
    this.log(`receiving an upload of ${contentLength} bytes`);
    const reader = new ChunkReader(body);
    const { minBytesPerSecond, windowMs } = limits.pace;
    const pace = watchUploadPace(limits.pace, () => reader.received, (rate) =>
      reader.cancel(
        new AgentError(
          408,
          'upload_too_slow',
          `the upload was too slow: ${(rate / 1024).toFixed(1)} KB/s over the last ${windowMs / 1000} s, under the ${(minBytesPerSecond / 1024).toFixed(0)} KB/s this agent requires (${reader.received} of ${contentLength} bytes had arrived). It was stopped and nothing changed; check the network link to the device and try again`,
        ),
      ),
    );
    try {
      const staging = join(this.stagingDir, randomBytes(6).toString('hex'));
      mkdirSync(staging);
      try {
        return await this.stageAndActivate(reader, contentLength, staging, publicKeyPem, pace);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    } catch (e) {
      pace.stop();
      release();
      // Read what the studio is still sending, so it hears the refusal rather than a reset connection
      // (not after a too-slow cut: waiting on that client is what the cut ends).
      await reader.drain(contentLength, 30_000);
      throw e;
    } finally {
      pace.stop();
      release();
    }
  }

  private async stageAndActivate(reader: ChunkReader, contentLength: number, staging: string, publicKeyPem: string, pace: PaceWatch): Promise<ActivationResponse> {
    const cut = () => new AgentError(400, 'bad_request', `the upload ended early (${reader.received} of ${contentLength} bytes): the connection was cut; nothing changed`);
    const prefix = await reader.exactly(8);
    if (!prefix) throw cut();
    if (!prefix.subarray(0, 4).equals(UPLOAD_MAGIC)) throw new AgentError(400, 'bad_request', 'the upload does not start with TM2U: not a TinyM2 model upload');
    const headerLength = prefix.readUInt32BE(4);
    if (headerLength > MAX_UPLOAD_HEADER_BYTES) throw new AgentError(400, 'bad_request', `upload header of ${headerLength} bytes is over the ${MAX_UPLOAD_HEADER_BYTES} limit`);
    const headerBytes = await reader.exactly(headerLength);
    if (!headerBytes) throw cut();
    let headerJson: unknown;
    try {
      headerJson = JSON.parse(headerBytes.toString('utf8'));
    } catch {
      throw new AgentError(400, 'bad_request', 'the upload header is not valid JSON');
    }
    const parsed = uploadHeaderSchema.safeParse(headerJson);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AgentError(400, 'bad_request', `upload header field '${issue.path.join('.') || '(root)'}': ${issue.message}`);
    }
    const signed: SignedManifest = parsed.data;
    const files = signed.manifest.files;
    if (new Set(files.map((f) => f.name)).size !== files.length) throw new AgentError(400, 'bad_request', 'the manifest names a file twice');
    if (!files.some((f) => f.name === 'model.json')) throw new AgentError(400, 'bad_request', 'the manifest has no model.json');
    if (8 + headerLength + files.reduce((s, f) => s + f.bytes, 0) !== contentLength) throw new AgentError(400, 'bad_request', 'Content-Length does not match the sizes in the manifest');
    if (!verifySignedManifest(signed, publicKeyPem)) {
      throw new AgentError(403, 'signature_rejected', `the signature of ${signed.manifest.modelId} ${signed.manifest.version} does not verify with the key of the studio that sent it; nothing changed`);
    }
    // Only after the signature: the sequence and the downgrade choice count only when the studio signed them.
    const refusal = downgradeRefusal(signed.manifest, this.pointer, this.current?.ref ?? null);
    if (refusal) throw refusal;

    // The device's own disk time (a slow SD card's writes and fsyncs) is not the client's pace: the pace
    // clock stops for every file operation, so only the time spent waiting on the client counts.
    const onDisk = async <T>(op: () => Promise<T>): Promise<T> => {
      const resume = pace.hold();
      try {
        return await op();
      } finally {
        resume();
      }
    };
    for (const f of files) {
      const path = resolveInside(staging, f.name, 'a file name in the signed manifest');
      const fh = await onDisk(() => this.disk.create(path));
      const hash = createHash('sha256');
      try {
        let left = f.bytes;
        while (left > 0) {
          const chunk = await reader.take(left);
          if (!chunk) throw cut();
          hash.update(chunk);
          await onDisk(() => fh.write(chunk));
          left -= chunk.length;
        }
        await onDisk(() => fh.sync());
      } finally {
        await onDisk(() => fh.close());
      }
      if (hash.digest('hex') !== f.sha256) throw new AgentError(422, 'hash_mismatch', `${f.name} does not match its signed SHA-256 (corrupted in transit or changed after signing); nothing changed`);
    }
    if (!(await reader.atEnd())) throw new AgentError(400, 'bad_request', 'the upload has bytes after the last file');
    pace.stop();
    writeFileAtomic(join(staging, SIGNED_MANIFEST_FILE), JSON.stringify(signed));
    fsyncDir(staging);
    packageNamesOnlySignedFiles(staging, new Set(files.map((f) => f.name)), signed.manifest.format === MANIFEST_FORMAT);

    let tested: { session: ModelSession; latencyMs: number; outputLength: number };
    try {
      tested = await this.openAndTest(staging);
    } catch (e) {
      throw new AgentError(422, 'test_inference_failed', `${signed.manifest.modelId} ${signed.manifest.version} failed its test inference (${(e as Error).message}); the previous model stays active`);
    }
    const meta = tested.session.meta;
    if (meta.id !== signed.manifest.modelId || meta.version !== signed.manifest.version) {
      await tested.session.release();
      throw new AgentError(422, 'package_invalid', `model.json says ${meta.id} ${meta.version} but the signed manifest says ${signed.manifest.modelId} ${signed.manifest.version}`);
    }
    // The session was opened on the staging path; reopen after the rename so it never refers to a moved folder.
    await tested.session.release();

    // Named by content, not by the deploy stamp: the same files sent again with a new sequence are the same package.
    const dirName = `${meta.id}-${meta.version}`.replace(/[^A-Za-z0-9._-]/g, '_') + `-${packageContentDigest(signed.manifest).toString('hex').slice(0, 12)}`;
    const now = new Date().toISOString();
    const record: DeployRecord = recordActivation(signed.manifest, this.pointer);
    if (this.current?.ref.dir === dirName) {
      if (record.sequences !== this.pointer.sequences || record.sequencedOnly !== this.pointer.sequencedOnly) this.writePointer({ ...this.pointer, ...record });
      return { active: this.current.ref, previous: this.pointer.previous, changed: false, testInference: { latencyMs: tested.latencyMs, outputLength: tested.outputLength } };
    }
    const finalDir = join(this.modelsDir, dirName);
    // Same content already on disk (the previous model, or a leftover): replace it with the freshly checked copy.
    if (existsSync(finalDir)) {
      rmSync(finalDir, { recursive: true, force: true });
    }
    renameSync(staging, finalDir);
    fsyncDir(this.modelsDir);
    let session: ModelSession;
    try {
      session = await openModelSession(finalDir);
    } catch (e) {
      rmSync(finalDir, { recursive: true, force: true });
      throw new AgentError(500, 'internal', `the model could not be reopened after moving it into place (${(e as Error).message}); the previous model stays active`);
    }
    const ref: ModelRef = { id: meta.id, version: meta.version, dir: dirName, activatedAt: now };
    const previous = this.current?.ref ?? null;
    this.writePointer({ active: ref, previous, sequences: record.sequences, sequencedOnly: record.sequencedOnly });
    const old = this.current;
    this.current = new CountedSession(ref, session);
    this.problem = undefined;
    old?.retire();
    this.collectGarbage();
    this.log(`activated ${ref.id} ${ref.version} (${ref.dir})${previous ? `; previous ${previous.id} ${previous.version} kept for rollback` : ''}`);
    return { active: ref, previous, changed: true, testInference: { latencyMs: tested.latencyMs, outputLength: tested.outputLength } };
  }

  /** Not an upload, so no downgrade check: going back one model is what the person asked for. */
  async rollback(): Promise<ActivationResponse> {
    const release = this.claim('rollback');
    try {
      const prev = this.pointer.previous;
      if (!prev) throw new AgentError(409, 'no_previous_model', 'there is no previous model to roll back to');
      let session: ModelSession;
      try {
        session = await this.openChecked(join(this.modelsDir, prev.dir));
      } catch (e) {
        throw new AgentError(409, 'no_previous_model', `the previous model ${prev.id} ${prev.version} no longer passes its check (${(e as Error).message}); the active model stays`);
      }
      const ref: ModelRef = { ...prev, activatedAt: new Date().toISOString() };
      const demoted = this.current?.ref ?? null;
      this.writePointer({ ...this.pointer, active: ref, previous: demoted });
      const old = this.current;
      this.current = new CountedSession(ref, session);
      this.problem = undefined;
      old?.retire();
      this.log(`rolled back to ${ref.id} ${ref.version}`);
      return { active: ref, previous: demoted, changed: true };
    } finally {
      release();
    }
  }

  /** Only the active and previous models stay; anything else is a leftover of an older deploy or a crash. */
  private collectGarbage(): void {
    const keep = new Set([this.pointer.active?.dir, this.pointer.previous?.dir].filter((d): d is string => d !== undefined));
    for (const name of readdirSync(this.modelsDir)) if (!keep.has(name)) rmSync(join(this.modelsDir, name), { recursive: true, force: true });
  }
}

/**
 * model.json may point only at files of the signed manifest. The session opener resolves `files.*` inside
 * the folder too, but the agent does not rely on another module for that: a name outside the signed set
 * (another folder, a hidden file, `.signed-manifest.json`) is refused before anything is opened.
 *
 * With `exact` (format 2) the converse holds too: a current studio signs only model.json and the files it
 * names, so any other signed file is refused rather than stored on the device. Format 1 is spared this:
 * studios before it signed every file in the package folder.
 */
function packageNamesOnlySignedFiles(dir: string, signedNames: ReadonlySet<string>, exact: boolean): void {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    throw new AgentError(422, 'package_invalid', `model.json is not valid JSON (${(e as Error).message}); nothing changed`);
  }
  const files = z.object({ files: z.record(z.string(), z.unknown()) }).safeParse(meta);
  if (!files.success) throw new AgentError(422, 'package_invalid', "model.json has no 'files' object naming the package's files; nothing changed");
  for (const [field, name] of Object.entries(files.data.files)) {
    if (name === undefined) continue;
    if (typeof name !== 'string' || !signedNames.has(name)) {
      throw new AgentError(422, 'package_invalid', `model.json field 'files.${field}' names ${JSON.stringify(name).slice(0, 100)}, which is not one of the package's signed files (${[...signedNames].join(', ')}); nothing changed`);
    }
  }
  if (!exact) return;
  const named = new Set<unknown>(['model.json', ...Object.values(files.data.files)]);
  const unnamed = [...signedNames].filter((n) => !named.has(n));
  if (unnamed.length) {
    throw new AgentError(422, 'package_invalid', `the upload carries ${unnamed.join(', ')}, which model.json does not name in 'files'; TinyM2 Studio sends only model.json and the files it names, so nothing changed`);
  }
}
