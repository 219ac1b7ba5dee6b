/**
 * The agent's models on disk and the one it runs. An upload is streamed into `staging/<id>/`, each file
 * fsynced and hashed as it lands; only a package whose signature, hashes, model.json and a test inference
 * all pass is renamed into `models/<dir>/`, and then `active.json` is replaced atomically. So a cut
 * connection, a tampered file or a kill -9 at any moment leaves the previous model active. The model
 * before the active one is kept for `POST /rollback`; older ones are removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { openModelSession, type ModelSession } from '../infer/modelSession';
import { manifestDigest, verifySignedManifest, type SignedManifest } from '../devices/modelSigning';
import { fsyncDir, writeFileAtomic } from '../storage/atomicFile';
import { modelRefSchema, type ActivationResponse, type ModelRef } from '../devices/pi/piProtocol';
import { ChunkReader, MAX_UPLOAD_HEADER_BYTES, UPLOAD_MAGIC, uploadHeaderSchema } from '../devices/pi/uploadFormat';
import { AgentError } from './agentError';

const activeFileSchema = z.object({ active: modelRefSchema.nullable(), previous: modelRefSchema.nullable() });
type ActiveFile = z.infer<typeof activeFileSchema>;

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
}

export class ModelStore {
  private readonly modelsDir: string;
  private readonly stagingDir: string;
  private readonly activePath: string;
  private pointer: ActiveFile = { active: null, previous: null };
  private current: CountedSession | undefined;
  private problem: string | undefined;
  /** Uploads and rollbacks change the pointer one at a time; inference never waits for them. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
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
    if (existsSync(this.activePath)) this.pointer = activeFileSchema.parse(JSON.parse(readFileSync(this.activePath, 'utf8')));
    const candidates = [this.pointer.active, this.pointer.previous].filter((r): r is ModelRef => r !== null);
    for (const ref of candidates) {
      try {
        const session = await this.openChecked(join(this.modelsDir, ref.dir));
        this.current = new CountedSession(ref, session);
        if (ref !== this.pointer.active) {
          this.problem = `the active model ${this.pointer.active?.id} ${this.pointer.active?.version} failed its check at start; its previous model is running instead`;
          this.log(this.problem);
          this.writePointer({ active: ref, previous: null });
        }
        break;
      } catch (e) {
        this.log(`model ${ref.id} ${ref.version} (${ref.dir}) cannot be used: ${(e as Error).message}`);
      }
    }
    if (!this.current && candidates.length) {
      this.problem = 'no stored model passed its check at start; deploy a model again';
      this.writePointer({ active: null, previous: null });
    }
    this.collectGarbage();
  }

  state(): { active: ModelRef | null; previous: ModelRef | null; problem?: string } {
    return { active: this.current?.ref ?? null, previous: this.pointer.previous, ...(this.problem ? { problem: this.problem } : {}) };
  }

  running(): { ref: ModelRef; meta: ModelSession['meta']; run(inputs: readonly Int8Array[]): Promise<Int8Array> } | undefined {
    const c = this.current;
    return c ? { ref: c.ref, meta: c.session.meta, run: (inputs) => c.run(inputs) } : undefined;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
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
      const p = join(dir, f.name);
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
    const reader = new ChunkReader(body);
    try {
      return await this.serialized(async () => {
        const staging = join(this.stagingDir, randomBytes(6).toString('hex'));
        mkdirSync(staging);
        try {
          return await this.stageAndActivate(reader, contentLength, staging, publicKeyPem);
        } finally {
          rmSync(staging, { recursive: true, force: true });
        }
      });
    } catch (e) {
      // Read what the studio is still sending, so it hears the refusal rather than a reset connection.
      await reader.drain(contentLength, 30_000);
      throw e;
    }
  }

  private async stageAndActivate(reader: ChunkReader, contentLength: number, staging: string, publicKeyPem: string): Promise<ActivationResponse> {
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

    for (const f of files) {
      const path = join(staging, f.name);
      const fh = await open(path, 'wx', 0o644);
      const hash = createHash('sha256');
      try {
        let left = f.bytes;
        while (left > 0) {
          const chunk = await reader.take(left);
          if (!chunk) throw cut();
          hash.update(chunk);
          await fh.write(chunk);
          left -= chunk.length;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (hash.digest('hex') !== f.sha256) throw new AgentError(422, 'hash_mismatch', `${f.name} does not match its signed SHA-256 (corrupted in transit or changed after signing); nothing changed`);
    }
    if (!(await reader.atEnd())) throw new AgentError(400, 'bad_request', 'the upload has bytes after the last file');
    writeFileAtomic(join(staging, SIGNED_MANIFEST_FILE), JSON.stringify(signed));
    fsyncDir(staging);

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

    const dirName = `${meta.id}-${meta.version}`.replace(/[^A-Za-z0-9._-]/g, '_') + `-${manifestDigest(signed.manifest).toString('hex').slice(0, 12)}`;
    const now = new Date().toISOString();
    if (this.current?.ref.dir === dirName) {
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
    this.writePointer({ active: ref, previous });
    const old = this.current;
    this.current = new CountedSession(ref, session);
    this.problem = undefined;
    old?.retire();
    this.collectGarbage();
    this.log(`activated ${ref.id} ${ref.version} (${ref.dir})${previous ? `; previous ${previous.id} ${previous.version} kept for rollback` : ''}`);
    return { active: ref, previous, changed: true, testInference: { latencyMs: tested.latencyMs, outputLength: tested.outputLength } };
  }

  rollback(): Promise<ActivationResponse> {
    return this.serialized(async () => {
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
      this.writePointer({ active: ref, previous: demoted });
      const old = this.current;
      this.current = new CountedSession(ref, session);
      this.problem = undefined;
      old?.retire();
      this.log(`rolled back to ${ref.id} ${ref.version}`);
      return { active: ref, previous: demoted, changed: true };
    });
  }

  /** Only the active and previous models stay; anything else is a leftover of an older deploy or a crash. */
  private collectGarbage(): void {
    const keep = new Set([this.pointer.active?.dir, this.pointer.previous?.dir].filter((d): d is string => d !== undefined));
    for (const name of readdirSync(this.modelsDir)) if (!keep.has(name)) rmSync(join(this.modelsDir, name), { recursive: true, force: true });
  }
}
