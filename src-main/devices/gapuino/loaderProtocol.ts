/**
 * The host side of the GAPuino UART loader (firmware/LOADER_PROTOCOL.md): typed requests over any
 * ByteTransport, each retransmitted with the same sequence number when its reply does not arrive (the
 * device resends its cached reply, so nothing runs twice).
 */
import { TransportTimeoutError, type ByteTransport } from '../transport';
import { encodeFrame, FrameDecoder, type Frame } from './frame';

export const LOADER_PROTOCOL_VERSION = 1;

export const MessageType = {
  hello: 0x01,
  begin: 0x02,
  data: 0x03,
  commit: 0x04,
  rollback: 0x05,
  input: 0x06,
  infer: 0x07,
  ack: 0x80,
  info: 0x81,
  result: 0x87,
} as const;

/** Loader status codes (firmware/loader/loader.h), with what they mean for the person at the bench. */
export const LoaderStatus = {
  ok: 0,
  badRequest: 1,
  tooLarge: 2,
  noTransfer: 3,
  outOfOrder: 4,
  incomplete: 5,
  shaMismatch: 6,
  blobRejected: 7,
  flash: 8,
  noModel: 9,
  noPrevious: 10,
  arenaTooSmall: 11,
  badInput: 12,
  invoke: 13,
  unknownType: 14,
} as const;

const STATUS_TEXT: Record<number, string> = {
  1: 'the device did not understand a request (app and firmware versions may not match)',
  2: 'the model does not fit in a model slot of this device',
  3: 'the device has no transfer in progress (it was restarted during the transfer)',
  4: 'the device expected a different part of the model next',
  5: 'the device has not received the whole model',
  6: 'the model received by the device is damaged (SHA-256 mismatch)',
  7: 'the device firmware rejected the model file',
  8: 'the device could not write its flash memory',
  9: 'the device has no valid model',
  10: 'the device has no previous model to return to',
  11: 'the model needs more working memory than this device has',
  12: 'the inputs sent to the device do not match the model',
  13: 'the model failed while running on the device',
  14: 'the device firmware does not know this request (update the firmware)',
};

/** tm2_status names from firmware/runtime/model_parser.h, for BLOB_REJECTED details. */
const BLOB_STATUS = [
  'ok', 'null argument', 'too small', 'bad magic', 'unsupported format version', 'bad header size', 'size mismatch', 'CRC-32 mismatch',
  'SHA-256 mismatch', 'unknown flags', 'bad section table', 'bad counts', 'bad tensor', 'tensor out of bounds', 'bad io table', 'bad strings',
  'bad op record', 'unknown op kind', 'bad op tensor', 'bad op shape', 'bad op parameters', 'arena too small', 'bad index', 'op output overlaps its input',
];

export class LoaderError extends Error {
  override readonly name = 'LoaderError';
  constructor(
    readonly request: keyof typeof MessageType,
    readonly status: number,
    readonly detail: number,
    readonly value: number,
  ) {
    const base = STATUS_TEXT[status] ?? `unknown loader status ${status}`;
    const why = status === LoaderStatus.blobRejected || status === LoaderStatus.invoke ? ` (${BLOB_STATUS[detail] ?? `status ${detail}`})` : '';
    super(`${request.toUpperCase()}: ${base}${why}`);
  }
}

/** The device did not answer a request even after retransmissions. */
export class LoaderNoReplyError extends Error {
  override readonly name = 'LoaderNoReplyError';
}

export interface SlotInfo {
  readonly size: number;
  /** First 8 bytes of the slot's SHA-256, hex. */
  readonly shaPrefix: string;
  readonly modelId: string;
  readonly modelVersion: string;
}

export interface DeviceInfo {
  readonly protocolVersion: number;
  readonly maxPayload: number;
  readonly slotBytes: number;
  readonly arenaBytes: number;
  readonly recordSeq: number;
  /** The slot whose model is running, or undefined when none is valid. */
  readonly runningSlot: number | undefined;
  readonly recordedSlot: number | undefined;
  readonly slots: readonly SlotInfo[];
  readonly modelId: string;
  readonly modelVersion: string;
  readonly firmwareVersion: string;
}

export interface InferResult {
  readonly outputs: Int8Array[];
  /** The device's counter over tm2_invoke: core cycles on a board, CPU nanoseconds on the host build. */
  readonly cycles: bigint;
}

export interface LoaderClientOptions {
  /** How long to wait for each reply before retransmitting. */
  readonly timeoutMs?: number;
  /** Retransmissions per request before giving up. */
  readonly retries?: number;
}

const NONE = 0xff;

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  u8(): number {
    if (this.at + 1 > this.bytes.length) throw new RangeError('reply too short');
    return this.bytes[this.at++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new RangeError('reply too short');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  string(): string {
    return new TextDecoder().decode(this.take(this.u8()));
  }
}

function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class LoaderClient {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Frame[] = [];
  private seq = Math.floor(Math.random() * 256);
  private readonly timeoutMs: number;
  private readonly retries: number;
  /** Retransmissions so far (for diagnostics and tests). */
  retransmissions = 0;

  constructor(
    readonly transport: ByteTransport,
    options: LoaderClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.retries = options.retries ?? 4;
  }

  /** Sends one request and returns its reply payload; retransmits on silence. */
  async request(name: keyof typeof MessageType, payload: Uint8Array = new Uint8Array(0), timeoutMs = this.timeoutMs): Promise<Frame> {
    this.seq = (this.seq + 1) & 0xff;
    const seq = this.seq;
    const frame = encodeFrame(MessageType[name], seq, payload);
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) this.retransmissions++;
      await this.transport.write(frame);
      const reply = await this.receive(seq, Date.now() + timeoutMs);
      if (reply) return reply;
    }
    throw new LoaderNoReplyError(`${this.transport.description} did not answer ${name.toUpperCase()} (${this.retries + 1} tries, ${timeoutMs} ms each)`);
  }

  private async receive(seq: number, deadline: number): Promise<Frame | undefined> {
    for (;;) {
      while (this.queue.length > 0) {
        const f = this.queue.shift()!;
        // Replies to earlier (retransmitted) requests may still arrive: only this request's counts.
        if (f.seq === seq && f.type & 0x80) return f;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      let bytes: Uint8Array;
      try {
        bytes = await this.transport.read(remaining);
      } catch (e) {
        if (e instanceof TransportTimeoutError) return undefined;
        throw e;
      }
      this.queue.push(...this.decoder.push(bytes));
    }
  }

  private async acked(name: keyof typeof MessageType, payload?: Uint8Array, timeoutMs?: number): Promise<{ status: number; detail: number; value: number }> {
    const reply = await this.request(name, payload, timeoutMs);
    const r = new Reader(reply.payload);
    const status = r.u8();
    const detail = r.u8();
    r.u16();
    const value = r.u32();
    return { status, detail, value };
  }

  private async ok(name: keyof typeof MessageType, payload?: Uint8Array, timeoutMs?: number): Promise<number> {
    const a = await this.acked(name, payload, timeoutMs);
    if (a.status !== LoaderStatus.ok) throw new LoaderError(name, a.status, a.detail, a.value);
    return a.value;
  }

  async hello(): Promise<DeviceInfo> {
    const reply = await this.request('hello');
    if (reply.type !== MessageType.info) throw new LoaderError('hello', reply.payload[0] ?? 1, 0, 0);
    const r = new Reader(reply.payload);
    r.u8();
    const protocolVersion = r.u8();
    const maxPayload = r.u16();
    const slotBytes = r.u32();
    const arenaBytes = r.u32();
    const recordSeq = r.u32();
    const running = r.u8();
    const recorded = r.u8();
    const slotCount = r.u8();
    const slots: SlotInfo[] = [];
    for (let s = 0; s < slotCount; s++) {
      const size = r.u32();
      const shaPrefix = Buffer.from(r.take(8)).toString('hex');
      slots.push({ size, shaPrefix, modelId: r.string(), modelVersion: r.string() });
    }
    const modelId = r.string();
    const modelVersion = r.string();
    return {
      protocolVersion,
      maxPayload,
      slotBytes,
      arenaBytes,
      recordSeq,
      runningSlot: running === NONE ? undefined : running,
      recordedSlot: recorded === NONE ? undefined : recorded,
      slots,
      modelId,
      modelVersion,
      firmwareVersion: r.string(),
    };
  }

  /** Starts a transfer; the device erases its inactive slot (which can take a while on real flash). */
  begin(size: number, sha256: Uint8Array): Promise<number> {
    if (sha256.length !== 32) throw new RangeError('SHA-256 must be 32 bytes');
    return this.ok('begin', concat(u32le(size), sha256), this.timeoutMs * 4);
  }

  /** Sends bytes at offset; returns the device's next expected offset (it may be lower after a restart). */
  async data(offset: number, bytes: Uint8Array): Promise<number> {
    const a = await this.acked('data', concat(u32le(offset), bytes));
    if (a.status === LoaderStatus.outOfOrder) return a.value;
    if (a.status !== LoaderStatus.ok) throw new LoaderError('data', a.status, a.detail, a.value);
    return a.value;
  }

  /** Verifies the received model and makes it active; returns its slot. */
  commit(): Promise<number> {
    return this.ok('commit', undefined, this.timeoutMs * 4);
  }

  rollback(): Promise<number> {
    return this.ok('rollback', undefined, this.timeoutMs * 4);
  }

  /** Stages the inputs (in modality order, chunked) and runs the model once. */
  async infer(inputs: readonly Int8Array[], maxPayload = 2048): Promise<InferResult> {
    const all = concat(...inputs.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.length)));
    for (let at = 0; at < all.length; at += maxPayload - 4) {
      await this.ok('input', concat(u32le(at), all.subarray(at, Math.min(all.length, at + maxPayload - 4))));
    }
    const reply = await this.request('infer', u32le(all.length), this.timeoutMs * 4);
    const r = new Reader(reply.payload);
    const status = r.u8();
    const detail = r.u8();
    const count = r.u16();
    const low = r.u32();
    if (reply.type !== MessageType.result || status !== LoaderStatus.ok) throw new LoaderError('infer', status, detail, low);
    const cycles = BigInt(low) | (BigInt(r.u32()) << 32n);
    const outputs: Int8Array[] = [];
    for (let k = 0; k < count; k++) outputs.push(Int8Array.from(r.take(r.u32()), (b) => (b << 24) >> 24));
    return { outputs, cycles };
  }
}
