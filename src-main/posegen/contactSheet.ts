import type { DepthFrame } from '../frames/depthFrame';
import { depthColours, thermalColours } from '../frames/palette';
import { encodeRgbPng } from '../frames/png16';
import type { ThermalFrame } from '../frames/thermalFrame';
import { drawText, GLYPH_HEIGHT } from './pixelFont';

export interface SheetSample {
  readonly label: string;
  /** Small print in the cell's corner, e.g. the pose variant. */
  readonly caption?: string;
  readonly depth: DepthFrame;
  readonly thermal: ThermalFrame;
}

const CELL_W = 160;
const CELL_H = 120;
const GAP = 4;
const PAIR_GAP = 10;
const TEXT_SCALE = 2;
const CAPTION_H = GLYPH_HEIGHT * TEXT_SCALE + 8;
/** Fixed colour scales, so the same colour means the same distance/temperature in every cell. */
export const SHEET_DEPTH_MM: readonly [number, number] = [300, 6000];
export const SHEET_THERMAL_C: readonly [number, number] = [14, 38];

/**
 * A PNG for people to eyeball a generated set: one row per class (in first-seen order), each sample
 * shown as depth (turbo, near = red, missing = black) beside thermal (ironbow) at true sensor
 * resolution, enlarged with nearest-neighbour so the pixels the model sees stay visible.
 */
export function renderContactSheet(samples: readonly SheetSample[], perRow: number): Uint8Array {
  const rows = new Map<string, SheetSample[]>();
  for (const s of samples) {
    const row = rows.get(s.label) ?? [];
    if (row.length < perRow) row.push(s);
    rows.set(s.label, row);
  }
  const pairW = 2 * CELL_W + GAP;
  const width = GAP + perRow * (pairW + PAIR_GAP);
  const header = CAPTION_H + 4;
  const height = header + rows.size * (CAPTION_H + CELL_H + GAP) + GAP;
  const rgb = new Uint8Array(width * height * 3).fill(32);
  drawText(rgb, width, height, GAP, 4, `DEPTH ${SHEET_DEPTH_MM[0] / 1000}-${SHEET_DEPTH_MM[1] / 1000} M  THERMAL ${SHEET_THERMAL_C[0]}-${SHEET_THERMAL_C[1]} C`, [200, 200, 200], TEXT_SCALE);
  let y = header;
  for (const [label, row] of rows) {
    drawText(rgb, width, height, GAP, y + 4, label, [255, 255, 255], TEXT_SCALE);
    y += CAPTION_H;
    row.forEach((s, k) => {
      const x = GAP + k * (pairW + PAIR_GAP);
      blit(rgb, width, x, y, depthColours(s.depth.mm, ...SHEET_DEPTH_MM), s.depth.width, s.depth.height);
      blit(rgb, width, x + CELL_W + GAP, y, thermalColours(s.thermal.celsius, ...SHEET_THERMAL_C), s.thermal.width, s.thermal.height);
      if (s.caption) {
        // Dark backing so the caption reads over any palette colour.
        for (let yy = y; yy < y + GLYPH_HEIGHT + 2; yy++) rgb.fill(0, ((yy * width) + x) * 3, ((yy * width) + x + Math.min(CELL_W, s.caption.length * 6 + 2)) * 3);
        drawText(rgb, width, height, x + 1, y + 1, s.caption, [255, 255, 255]);
      }
    });
    y += CELL_H + GAP;
  }
  return encodeRgbPng(width, height, rgb);
}

/** Nearest-neighbour scale of an RGB image into a CELL_W×CELL_H cell. */
function blit(dst: Uint8Array, dstW: number, x0: number, y0: number, src: Uint8Array, w: number, h: number): void {
  for (let y = 0; y < CELL_H; y++) {
    const sy = Math.min(h - 1, Math.floor((y * h) / CELL_H));
    for (let x = 0; x < CELL_W; x++) {
      const sx = Math.min(w - 1, Math.floor((x * w) / CELL_W));
      const si = (sy * w + sx) * 3;
      dst.set(src.subarray(si, si + 3), ((y0 + y) * dstW + x0 + x) * 3);
    }
  }
}

