/**
 * False-colour palettes for showing depth and thermal frames (CLI contact sheets and the app's viewers
 * use the same ones, so a picture looks the same everywhere). Each palette is a 256-entry RGB table.
 */
export type PaletteName = 'turbo' | 'inferno' | 'ironbow' | 'grey';

export type Palette = Uint8Array; // 256 × RGB

function table(f: (t: number) => readonly [number, number, number]): Palette {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = f(i / 255);
    lut[i * 3] = clampByte(r * 255);
    lut[i * 3 + 1] = clampByte(g * 255);
    lut[i * 3 + 2] = clampByte(b * 255);
  }
  return lut;
}

function clampByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

/** Google's Turbo (Mikhailov 2019), polynomial fit: perceptually smooth rainbow, good for distance. */
function turbo(t: number): readonly [number, number, number] {
  const t2 = t * t, t3 = t2 * t, t4 = t3 * t, t5 = t4 * t;
  return [
    0.13572138 + 4.6153926 * t - 42.66032258 * t2 + 132.13108234 * t3 - 152.94239396 * t4 + 59.28637943 * t5,
    0.09140261 + 2.19418839 * t + 4.84296658 * t2 - 14.18503333 * t3 + 4.27729857 * t4 + 2.82956604 * t5,
    0.1066733 + 12.64194608 * t - 60.58204836 * t2 + 110.36276771 * t3 - 89.90310912 * t4 + 27.34824973 * t5,
  ];
}

/** Matplotlib's inferno, polynomial fit: monotonic in brightness, so warm reads as bright in print too. */
function inferno(t: number): readonly [number, number, number] {
  const c0 = [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184];
  const c1 = [0.1065134194856116, 0.5639564367884091, 3.932712388889277];
  const c2 = [11.60249308247187, -3.972853965665698, -15.9423941062914];
  const c3 = [-41.70399613139459, 17.43639888205313, 44.35414519872813];
  const c4 = [77.162935699427, -33.40235894210092, -81.80730925738993];
  const c5 = [-71.31942824499214, 32.62606426397723, 73.20951985803202];
  const c6 = [25.13112622477341, -12.24266895238567, -23.07032500287172];
  const ch = (k: number) => c0[k]! + t * (c1[k]! + t * (c2[k]! + t * (c3[k]! + t * (c4[k]! + t * (c5[k]! + t * c6[k]!)))));
  return [ch(0), ch(1), ch(2)];
}

/** The "ironbow" look thermal cameras ship with: black → blue/purple → red → orange → yellow → white. */
function ironbow(t: number): readonly [number, number, number] {
  const stops: readonly (readonly [number, number, number, number])[] = [
    [0, 0, 0, 0],
    [0.15, 0.13, 0, 0.45],
    [0.35, 0.55, 0, 0.6],
    [0.55, 0.88, 0.22, 0.2],
    [0.75, 1, 0.6, 0],
    [0.9, 1, 0.88, 0.3],
    [1, 1, 1, 1],
  ];
  for (let i = 1; i < stops.length; i++) {
    const a = stops[i - 1]!;
    const b = stops[i]!;
    if (t <= b[0]) {
      const u = (t - a[0]) / (b[0] - a[0]);
      return [a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u, a[3] + (b[3] - a[3]) * u];
    }
  }
  return [1, 1, 1];
}

export const palettes: Readonly<Record<PaletteName, Palette>> = {
  turbo: table(turbo),
  inferno: table(inferno),
  ironbow: table(ironbow),
  grey: table((t) => [t, t, t]),
};

export interface ColouriseOptions {
  readonly palette: PaletteName;
  /** Value shown at the cold/near end of the palette. */
  readonly min: number;
  readonly max: number;
  /** Values for which `isMissing` is true are drawn in this colour (depth holes). */
  readonly missing?: readonly [number, number, number];
  readonly isMissing?: (v: number) => boolean;
}

/** Maps values to RGB bytes through a palette, clamping outside [min, max]. */
export function colourise(values: ArrayLike<number>, options: ColouriseOptions): Uint8Array {
  const lut = palettes[options.palette];
  const out = new Uint8Array(values.length * 3);
  const span = options.max - options.min || 1;
  const miss = options.missing ?? [0, 0, 0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (options.isMissing?.(v)) {
      out[i * 3] = miss[0];
      out[i * 3 + 1] = miss[1];
      out[i * 3 + 2] = miss[2];
      continue;
    }
    const k = Math.max(0, Math.min(255, Math.round(((v - options.min) / span) * 255))) * 3;
    out[i * 3] = lut[k]!;
    out[i * 3 + 1] = lut[k + 1]!;
    out[i * 3 + 2] = lut[k + 2]!;
  }
  return out;
}

/** Depth in false colour: near is warm (red), far is cool (blue), missing is black. */
export function depthColours(mm: ArrayLike<number>, nearMm = 300, farMm = 5000): Uint8Array {
  // Turbo runs blue → red; reversing the range puts near objects at the red end.
  return colourise(mm, { palette: 'turbo', min: farMm, max: nearMm, isMissing: (v) => v === 0, missing: [0, 0, 0] });
}

/** Thermal in ironbow between two temperatures (°C). */
export function thermalColours(celsius: ArrayLike<number>, minC = 15, maxC = 38, palette: PaletteName = 'ironbow'): Uint8Array {
  return colourise(celsius, { palette, min: minC, max: maxC });
}
