/**
 * Where a GAPuino deploy goes, as a technician writes it: `gapuino` (the one board on USB),
 * `gapuino:<usb id>` (one of several), or `sim:<flash image>` (the firmware's host build standing in for a
 * board, same bytes on the wire) — opened as the ByteTransport the loader protocol runs on.
 */
import { join } from 'node:path';
import type { ByteTransport } from '../transport';
import { GAPUINO_DEFAULT_BAUD, listUsbGapuinos, openUsbGapuino } from './usbGapuino';
import { buildSimulatedGapuinoLoader, SimulatedGapuino } from './simulatedGapuino';
import { GapuinoUsbError } from './usbGapuino';

export type GapuinoTarget = { readonly kind: 'usb'; readonly id?: string } | { readonly kind: 'sim'; readonly flashImage: string };

export function parseGapuinoTarget(text: string): GapuinoTarget | undefined {
  if (text === 'gapuino') return { kind: 'usb' };
  if (text.startsWith('gapuino:') && text.length > 8) return { kind: 'usb', id: text.slice(8) };
  if (text.startsWith('sim:') && text.length > 4) return { kind: 'sim', flashImage: text.slice(4) };
  return undefined;
}

export async function openGapuinoTarget(target: GapuinoTarget, options: { readonly firmwareDir: string; readonly buildDir: string; readonly baud?: number }): Promise<ByteTransport> {
  if (target.kind === 'sim') {
    const loaderPath = buildSimulatedGapuinoLoader(options.firmwareDir, join(options.buildDir, 'simulated-gapuino'));
    return SimulatedGapuino.start({ loaderPath, flashImage: target.flashImage });
  }
  let id = target.id;
  if (!id) {
    const { usb, gapuinos } = await listUsbGapuinos();
    if (!usb.available) throw new GapuinoUsbError('usb_unavailable', usb.reason ?? 'USB unavailable on this machine');
    if (gapuinos.length === 0) throw new GapuinoUsbError('not_found', 'No GAPuino found on USB: check the cable and that the board is powered.');
    if (gapuinos.length > 1) throw new GapuinoUsbError('not_found', `Several GAPuinos are connected (${gapuinos.map((g) => g.id).join(', ')}): name one with --to gapuino:<id>.`);
    id = gapuinos[0]!.id;
  }
  return openUsbGapuino(id, { baud: options.baud ?? GAPUINO_DEFAULT_BAUD });
}
