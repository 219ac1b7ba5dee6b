/**
 * Loader frames on the wire (firmware/LOADER_PROTOCOL.md), the same bytes firmware/loader/frame.c reads
 * and writes: A5 5A | type | seq | length u16 LE | CRC-16/CCITT-FALSE of type..length | payload |
 * CRC-32 (IEEE) of everything after the sync bytes.
 */
import { crc32 } from 'node:zlib';

export const FRAME_SYNC = [0xa5, 0x5a] as const;
export const FRAME_HEADER_BYTES = 8;
export const FRAME_TRAILER_BYTES = 4;
export const FRAME_MAX_PAYLOAD = 4096;

export interface Frame {
  readonly type: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

export function crc16Ccitt(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function encodeFrame(type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > FRAME_MAX_PAYLOAD) throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${FRAME_MAX_PAYLOAD}`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length + FRAME_TRAILER_BYTES);
  const view = new DataView(out.buffer);
  out[0] = FRAME_SYNC[0];
  out[1] = FRAME_SYNC[1];
  out[2] = type & 0xff;
  out[3] = seq & 0xff;
  view.setUint16(4, payload.length, true);
  view.setUint16(6, crc16Ccitt(out.subarray(2, 6)), true);
  out.set(payload, FRAME_HEADER_BYTES);
  view.setUint32(FRAME_HEADER_BYTES + payload.length, crc32(out.subarray(2, FRAME_HEADER_BYTES + payload.length)), true);
  return out;
}

/**
 * Finds frames in a byte stream. A byte that cannot start a valid frame (wrong sync, header CRC, length
 * or frame CRC) is skipped and the search restarts one byte later, so frames after garbage, a cut or a
 * corrupted frame are found again; a complete frame that follows a truncated one is found as soon as it
 * has arrived (as firmware/loader/frame.c does).
 */
export class FrameDecoder {
  private buffer = new Uint8Array(0);
  /** Bytes skipped while resynchronising. */
  dropped = 0;

  push(bytes: Uint8Array): Frame[] {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    const frames: Frame[] = [];
    let at = 0;
    while (at < joined.length) {
      const rest = joined.length - at;
      if (joined[at] !== FRAME_SYNC[0] || (rest >= 2 && joined[at + 1] !== FRAME_SYNC[1])) {
        at++;
        this.dropped++;
        continue;
      }
      if (rest < FRAME_HEADER_BYTES) break;
      const view = new DataView(joined.buffer, joined.byteOffset + at);
      const length = view.getUint16(4, true);
      if (crc16Ccitt(joined.subarray(at + 2, at + 6)) !== view.getUint16(6, true) || length > FRAME_MAX_PAYLOAD) {
        at++;
        this.dropped++;
        continue;
      }
      const total = FRAME_HEADER_BYTES + length + FRAME_TRAILER_BYTES;
      if (rest < total) {
        // A frame cut short (the device reset mid-reply) must not swallow the complete frames after it.
        const later = this.laterCompleteFrame(joined, at + 1);
        if (later < 0) break;
        this.dropped += later - at;
        at = later;
        continue;
      }
      if (crc32(joined.subarray(at + 2, at + FRAME_HEADER_BYTES + length)) !== view.getUint32(FRAME_HEADER_BYTES + length, true)) {
        at++;
        this.dropped++;
        continue;
      }
      frames.push({ type: joined[at + 2]!, seq: joined[at + 3]!, payload: joined.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) });
      at += total;
    }
    this.buffer = joined.slice(at);
    return frames;
  }

  /** Start of the first complete, valid frame at or after `from`, or −1. */
  private laterCompleteFrame(bytes: Uint8Array, from: number): number {
    for (let p = from; p + FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES <= bytes.length; p++) {
      if (bytes[p] !== FRAME_SYNC[0] || bytes[p + 1] !== FRAME_SYNC[1]) continue;
      const view = new DataView(bytes.buffer, bytes.byteOffset + p);
      const length = view.getUint16(4, true);
      if (length > FRAME_MAX_PAYLOAD || crc16Ccitt(bytes.subarray(p + 2, p + 6)) !== view.getUint16(6, true)) continue;
      if (p + FRAME_HEADER_BYTES + length + FRAME_TRAILER_BYTES > bytes.length) continue;
      if (crc32(bytes.subarray(p + 2, p + FRAME_HEADER_BYTES + length)) === view.getUint32(FRAME_HEADER_BYTES + length, true)) return p;
    }
    return -1;
  }

  reset(): void {
    this.buffer = new Uint8Array(0);
  }
}
