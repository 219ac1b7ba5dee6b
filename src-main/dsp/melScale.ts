/**
 * The HTK mel scale, mel = 2595·log10(1 + f/700). Chosen over Slaney's piecewise scale because its one
 * closed form is trivial to reproduce bit-for-bit in the device firmware.
 */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}
