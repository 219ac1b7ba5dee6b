/**
 * A byte stream to a device's loader: the FTDI UART of a USB-connected GAPuino, or the firmware's host
 * build running as a child process (same bytes on the wire). The loader protocol is written once on top.
 */
export interface ByteTransport {
  /** Human-readable, for messages ("GAPuino on USB 1-2", "simulated GAPuino (pid 1234)"). */
  readonly description: string;
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Resolves with the next bytes received (at least one), or rejects with TransportClosedError when the
   * device goes away, or TransportTimeoutError after `timeoutMs`.
   */
  read(timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
}

export class TransportTimeoutError extends Error {
  override readonly name = 'TransportTimeoutError';
}
