/**
 * A transport held to a UART's speed: each byte costs 10 bit times (8N1: start, 8 data, stop) in each
 * direction, as on the GAPuino's FTDI link. Wrapping the simulated GAPuino with it gives honest deploy
 * times for a given baud rate without hardware.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ByteTransport } from '../transport';

export const BITS_PER_UART_BYTE = 10;

export function pacedTransport(inner: ByteTransport, baud: number): ByteTransport {
  if (!(baud > 0)) throw new RangeError(`pacedTransport: baud must be positive, got ${baud}`);
  const secondsPerByte = BITS_PER_UART_BYTE / baud;
  // When each direction's line is next free, in performance.now() milliseconds.
  let txFree = 0;
  let rxFree = 0;
  const occupy = async (free: number, bytes: number): Promise<number> => {
    const start = Math.max(performance.now(), free);
    const end = start + bytes * secondsPerByte * 1000;
    const wait = end - performance.now();
    if (wait > 0) await sleep(wait);
    return end;
  };
  return {
    description: `${inner.description} at ${baud} baud`,
    async write(bytes) {
      txFree = await occupy(txFree, bytes.byteLength);
      await inner.write(bytes);
    },
    async read(timeoutMs) {
      const bytes = await inner.read(timeoutMs);
      rxFree = await occupy(rxFree, bytes.byteLength);
      return bytes;
    },
    close: () => inner.close(),
  };
}
