/**
 * The body of `POST /models`: no tar, no multipart library, just a framed stream the agent can check as
 * it arrives and write straight to disk:
 *
 *   "TM2U" | uint32 BE header length | header JSON { manifest, signature } | each file's bytes, in manifest order
 *
 * The header comes first so the agent rejects a bad signature before it stores a single byte of model.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { manifestSchema, type SignedManifest } from '../modelSigning';

export const UPLOAD_MAGIC = Buffer.from('TM2U', 'ascii');
export const MAX_UPLOAD_HEADER_BYTES = 64 * 1024;

export const uploadHeaderSchema = z.object({ manifest: manifestSchema, signature: z.string().min(1).max(200) });

export interface UploadBody {
  readonly length: number;
  /** A fresh stream of the whole body each call (a retry re-reads the files). */
  stream(): Readable;
}

export function uploadBody(pkgDir: string, signed: SignedManifest): UploadBody {
  const header = Buffer.from(JSON.stringify({ manifest: signed.manifest, signature: signed.signature }), 'utf8');
  const prefix = Buffer.alloc(8);
  UPLOAD_MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(header.length, 4);
  const length = prefix.length + header.length + signed.manifest.files.reduce((s, f) => s + f.bytes, 0);
  return {
    length,
    stream() {
      async function* parts(): AsyncGenerator<Buffer> {
        yield Buffer.concat([prefix, header]);
        for (const f of signed.manifest.files) {
          if (f.bytes === 0) continue;
          // As signed: not through a symbolic link put there since (it could point at any file on this
          // computer), and no more than the signed size (a file that grew would overrun Content-Length).
          const fh = await open(join(pkgDir, f.name), constants.O_RDONLY | constants.O_NOFOLLOW);
          try {
            for await (const chunk of fh.createReadStream({ end: f.bytes - 1, highWaterMark: 64 * 1024, autoClose: false })) yield chunk as Buffer;
          } finally {
            await fh.close();
          }
        }
      }
      return Readable.from(parts(), { objectMode: false });
    },
  };
}

/** Pulls exact byte counts out of a chunked stream (an HTTP request body). */
export class ChunkReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  private cancelled: Error | undefined;
  /** Fails the read in progress, if any (see `cancel`). */
  private interrupt: ((reason: Error) => void) | undefined;
  received = 0;

  constructor(source: AsyncIterable<Buffer | string>) {
    const inner = source[Symbol.asyncIterator]();
    this.it = {
      next: () =>
        new Promise<IteratorResult<Buffer>>((resolve, reject) => {
          if (this.cancelled) return reject(this.cancelled);
          this.interrupt = reject;
          inner.next().then(
            (r) => {
              this.interrupt = undefined;
              if (r.done) return resolve(r);
              const buf = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
              this.received += buf.length;
              resolve({ done: false, value: buf });
            },
            () => {
              // A connection cut mid-body surfaces as an error here; to the reader it is simply an early end.
              this.interrupt = undefined;
              resolve({ done: true, value: undefined });
            },
          );
        }),
    };
  }

  /**
   * Makes the read in progress, and every later one, fail with `reason` at once, without waiting for the
   * client's next bytes (which may never come).
   */
  cancel(reason: Error): void {
    if (this.cancelled) return;
    this.cancelled = reason;
    this.interrupt?.(reason);
  }

  get isCancelled(): boolean {
    return this.cancelled !== undefined;
  }

  /** Up to `max` bytes (at least 1), or undefined at the end of the stream. */
  async take(max: number): Promise<Buffer | undefined> {
    if (this.cancelled) throw this.cancelled;
    if (this.pending.length === 0) {
      const r = await this.it.next();
      if (r.done) return undefined;
      this.pending = r.value;
    }
    const out = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  async exactly(n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = await this.take(n - have);
      if (!c) return undefined;
      parts.push(c);
      have += c.length;
    }
    return Buffer.concat(parts, n);
  }

  /** Reads and drops the rest of the body (up to `total` bytes in all, for at most `ms`); nothing once cancelled. */
  async drain(total: number, ms: number): Promise<void> {
    if (this.cancelled) return;
    const until = Date.now() + ms;
    this.pending = Buffer.alloc(0);
    while (this.received < total && Date.now() < until) {
      const r = await this.it.next();
      if (r.done) return;
    }
  }

  /** True when nothing follows (the body had exactly the bytes the header promised). */
  async atEnd(): Promise<boolean> {
    if (this.pending.length > 0) return false;
    const r = await this.it.next();
    if (r.done) return true;
    this.pending = r.value;
    return this.pending.length === 0 ? this.atEnd() : false;
  }
}
