/**
 * FTDI IN packets: every USB packet the chip sends (64 bytes at full speed, 512 at high speed) starts
 * with two status bytes, modem status then line status, followed by up to maxPacket − 2 UART bytes.
 * One bulk transfer can carry several packets back to back, so the status bytes sit at every
 * maxPacket boundary of the transfer, not only at its start. With no UART data the chip still sends a
 * two-byte packet every latency period.
 */

/** Line-status bits (second byte) that mean received bytes were lost or damaged. */
export const LINE_OVERRUN = 0x02;
export const LINE_PARITY = 0x04;
export const LINE_FRAMING = 0x08;
export const LINE_BREAK = 0x10;
const LINE_ERRORS = LINE_OVERRUN | LINE_PARITY | LINE_FRAMING | LINE_BREAK;

export interface FtdiInPayload {
  /** The UART bytes, status bytes removed. */
  readonly data: Uint8Array;
  /** Modem status of the last packet (CTS 0x10, DSR 0x20, RI 0x40, DCD 0x80); undefined for an empty transfer. */
  readonly modemStatus: number | undefined;
  /** OR of the error bits (LINE_*) seen in any packet of the transfer. */
  readonly lineErrors: number;
}

export function stripModemStatus(transfer: Uint8Array, maxPacketSize: number): FtdiInPayload {
  if (!Number.isInteger(maxPacketSize) || maxPacketSize <= 2) throw new RangeError(`FTDI max packet size must be an integer > 2, got ${maxPacketSize}`);
  const out = new Uint8Array(transfer.length);
  let n = 0;
  let modemStatus: number | undefined;
  let lineErrors = 0;
  for (let start = 0; start < transfer.length; start += maxPacketSize) {
    const end = Math.min(start + maxPacketSize, transfer.length);
    // A packet shorter than its header is not something the chip sends; drop it rather than take a status byte as data.
    if (end - start < 2) break;
    modemStatus = transfer[start]!;
    lineErrors |= transfer[start + 1]! & LINE_ERRORS;
    out.set(transfer.subarray(start + 2, end), n);
    n += end - start - 2;
  }
  return { data: out.slice(0, n), modemStatus, lineErrors };
}

export function describeLineErrors(bits: number): string[] {
  const words: string[] = [];
  if (bits & LINE_OVERRUN) words.push('overrun (bytes lost: the host read too slowly)');
  if (bits & LINE_PARITY) words.push('parity error');
  if (bits & LINE_FRAMING) words.push('framing error (baud rate or line format mismatch)');
  if (bits & LINE_BREAK) words.push('break');
  return words;
}
