/**
 * FTDI vendor control requests (FTDI AN232B-04, libftdi's ftdi.h), as WebUSB control-transfer
 * setups. All go to the device (bmRequestType 0x40); wIndex names the port: 1 = A, 2 = B.
 */
import { ftdiBaudSetting, type FtdiChip } from './ftdiBaud';

export const SIO_RESET = 0x00;
export const SIO_SET_MODEM_CTRL = 0x01;
export const SIO_SET_FLOW_CTRL = 0x02;
export const SIO_SET_BAUD_RATE = 0x03;
export const SIO_SET_DATA = 0x04;
export const SIO_SET_LATENCY_TIMER = 0x09;
export const SIO_SET_BITMODE = 0x0b;

/** SIO_RESET wValue: reset the port, or drop what waits in one FIFO. */
const RESET_SIO = 0;
const RESET_PURGE_RX = 1;
const RESET_PURGE_TX = 2;

/** SIO_SET_MODEM_CTRL wValue: high byte = which lines to change, low byte = their level. */
const DTR_MASK = 0x0100;
const DTR_HIGH = 0x0001;
const RTS_MASK = 0x0200;
const RTS_HIGH = 0x0002;

/** Bitmode 0: the port is a plain UART (undoes MPSSE left behind by OpenOCD on a shared chip). */
const BITMODE_RESET = 0x00;

/** The shape `USBDevice.controlTransferOut` takes (WebUSB USBControlTransferParameters). */
export interface FtdiControlRequest {
  readonly requestType: 'vendor';
  readonly recipient: 'device';
  readonly request: number;
  readonly value: number;
  readonly index: number;
}

/** The FT2232's two ports. */
export type FtdiPort = 'A' | 'B';

/** USB interface number of a port (A = 0, B = 1): what claimInterface takes. */
export function ftdiInterfaceNumber(port: FtdiPort): number {
  return port === 'A' ? 0 : 1;
}

/** wIndex of a port in vendor requests (A = 1, B = 2): one more than the interface number. */
export function ftdiPortIndex(port: FtdiPort): number {
  return ftdiInterfaceNumber(port) + 1;
}

function vendorRequest(request: number, value: number, index: number): FtdiControlRequest {
  return { requestType: 'vendor', recipient: 'device', request, value, index };
}

export function resetRequest(port: FtdiPort): FtdiControlRequest {
  return vendorRequest(SIO_RESET, RESET_SIO, ftdiPortIndex(port));
}

export function purgeRequests(port: FtdiPort): FtdiControlRequest[] {
  return [vendorRequest(SIO_RESET, RESET_PURGE_RX, ftdiPortIndex(port)), vendorRequest(SIO_RESET, RESET_PURGE_TX, ftdiPortIndex(port))];
}

export function modemControlRequest(port: FtdiPort, lines: { readonly dtr: boolean; readonly rts: boolean }): FtdiControlRequest {
  const value = DTR_MASK | RTS_MASK | (lines.dtr ? DTR_HIGH : 0) | (lines.rts ? RTS_HIGH : 0);
  return vendorRequest(SIO_SET_MODEM_CTRL, value, ftdiPortIndex(port));
}

export type FtdiFlowControl = 'none' | 'rts-cts' | 'dtr-dsr';

/** The flow-control mode rides in the high byte of wIndex; wValue is unused. */
export function flowControlRequest(port: FtdiPort, flow: FtdiFlowControl): FtdiControlRequest {
  const mode = flow === 'rts-cts' ? 0x0100 : flow === 'dtr-dsr' ? 0x0200 : 0x0000;
  return vendorRequest(SIO_SET_FLOW_CTRL, 0, mode | ftdiPortIndex(port));
}

export interface FtdiLineFormat {
  readonly dataBits: 7 | 8;
  readonly parity: 'none' | 'odd' | 'even' | 'mark' | 'space';
  readonly stopBits: 1 | 2;
}

export const LINE_8N1: FtdiLineFormat = { dataBits: 8, parity: 'none', stopBits: 1 };

/** wValue: data bits in bits 0–7, parity in 8–10, stop bits in 11–13 (0 = 1, 2 = 2), break in 14. */
export function lineFormatRequest(port: FtdiPort, format: FtdiLineFormat): FtdiControlRequest {
  const parity = ['none', 'odd', 'even', 'mark', 'space'].indexOf(format.parity);
  const stop = format.stopBits === 2 ? 2 : 0;
  return vendorRequest(SIO_SET_DATA, format.dataBits | (parity << 8) | (stop << 11), ftdiPortIndex(port));
}

export function baudRateRequest(port: FtdiPort, baud: number, chip: FtdiChip): FtdiControlRequest & { readonly actualBaud: number } {
  const s = ftdiBaudSetting(baud, chip, ftdiPortIndex(port));
  return { ...vendorRequest(SIO_SET_BAUD_RATE, s.value, s.index), actualBaud: s.actualBaud };
}

/**
 * The chip sends what it has after this many ms even when its USB packet is not full. The default 16 ms
 * adds 16 ms to every small reply of the loader protocol; a few ms costs only more status-only packets.
 */
export function latencyTimerRequest(port: FtdiPort, ms: number): FtdiControlRequest {
  if (!Number.isInteger(ms) || ms < 1 || ms > 255) throw new RangeError(`FTDI latency timer must be 1–255 ms, got ${ms}`);
  return vendorRequest(SIO_SET_LATENCY_TIMER, ms, ftdiPortIndex(port));
}

export function bitmodeResetRequest(port: FtdiPort): FtdiControlRequest {
  return vendorRequest(SIO_SET_BITMODE, BITMODE_RESET << 8, ftdiPortIndex(port));
}

export interface FtdiUartSettings {
  readonly port: FtdiPort;
  readonly chip: FtdiChip;
  readonly baud: number;
  readonly format: FtdiLineFormat;
  readonly flow: FtdiFlowControl;
  readonly latencyMs: number;
  /** Level of DTR and RTS after setup; raised, as a Linux tty does on open. */
  readonly dtr: boolean;
  readonly rts: boolean;
}

/**
 * Everything sent to bring a port up as a UART, in order: reset, plain-UART mode, line settings, then
 * purge last so nothing received under the old settings reaches the caller.
 */
export function uartSetupRequests(s: FtdiUartSettings): FtdiControlRequest[] {
  return [
    resetRequest(s.port),
    bitmodeResetRequest(s.port),
    baudRateRequest(s.port, s.baud, s.chip),
    lineFormatRequest(s.port, s.format),
    flowControlRequest(s.port, s.flow),
    modemControlRequest(s.port, { dtr: s.dtr, rts: s.rts }),
    latencyTimerRequest(s.port, s.latencyMs),
    ...purgeRequests(s.port),
  ];
}
