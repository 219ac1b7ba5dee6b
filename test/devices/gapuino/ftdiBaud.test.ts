import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FtdiBaudError, ftdiBaudSetting, ftdiDivisor, MAX_BAUD_ERROR, type FtdiChip } from '../../../src-main/devices/gapuino/ftdiBaud';

/** [requested, actual, divisor (14 bits), fraction code (3 bits), clock MHz] from libftdi's test/baudrate.cpp. */
type Row = readonly [number, number, number, number, 48 | 120];

const LIBFTDI_BM_2232C: Row[] = [
  [183, 183, 16383, 7, 48],
  [184, 184, 16304, 4, 48],
  [300, 300, 10000, 0, 48],
  [1200, 1200, 2500, 0, 48],
  [9600, 9600, 312, 1, 48],
  [19200, 19200, 156, 2, 48],
  [38400, 38400, 78, 3, 48],
  [57600, 57554, 52, 3, 48],
  [115200, 115385, 26, 0, 48],
  [230400, 230769, 13, 0, 48],
  [460800, 461538, 6, 1, 48],
  [921600, 923077, 3, 2, 48],
  [1000000, 1000000, 3, 0, 48],
  [1050000, 1043478, 2, 7, 48],
  [1400000, 1411765, 2, 3, 48],
  [1500000, 1500000, 2, 0, 48],
  [2000000, 2000000, 1, 0, 48],
  [3000000, 3000000, 0, 0, 48],
];

const LIBFTDI_H: Row[] = [
  [183, 183, 16383, 7, 48],
  [184, 184, 16304, 4, 48],
  [300, 300, 10000, 0, 48],
  [600, 600, 5000, 0, 48],
  [1200, 1200, 10000, 0, 120],
  [9600, 9600, 1250, 0, 120],
  [38400, 38400, 312, 1, 120],
  [57600, 57588, 208, 4, 120],
  [115200, 115246, 104, 3, 120],
  [230400, 230216, 52, 3, 120],
  [460800, 461538, 26, 0, 120],
  [921600, 923077, 13, 0, 120],
  [1000000, 1000000, 12, 0, 120],
  [4173913, 4173913, 2, 7, 120],
  [6000000, 6000000, 2, 0, 120],
  [8000000, 8000000, 1, 0, 120],
  [12000000, 12000000, 0, 0, 120],
];

function check(chip: FtdiChip, rows: Row[]): void {
  for (const [baud, actual, divisor, frac, clock] of rows) {
    const d = ftdiDivisor(baud, chip);
    assert.equal(d.encoded & 0x3fff, divisor, `${chip} ${baud}: integer divisor`);
    assert.equal((d.encoded >> 14) & 7, frac, `${chip} ${baud}: fraction code`);
    assert.equal(d.encoded & 0x20000 ? 120 : 48, clock, `${chip} ${baud}: clock`);
    assert.equal(d.actualBaud, actual, `${chip} ${baud}: actual rate`);
  }
}

test("FT2232C/D divisors match libftdi's table for BM-class chips", () => check('ft2232c', LIBFTDI_BM_2232C));

test("FT2232H divisors match libftdi's table for H chips", () => check('ft2232h', LIBFTDI_H));

test("libftdi's rounding boundaries between eighths land on the same side", () => {
  // Rates at and just past the midpoint between two eighths of a 3 MHz and a 12 MHz base.
  const eighthsCode = [0, 3, 2, 4, 1, 5, 6, 7];
  for (const [chip, base] of [['ft2232c', 3_000_000], ['ft2232h', 12_000_000]] as const) {
    for (let odd = 15; odd >= 1; odd -= 2) {
      const edge = Math.floor((base * 16) / (2 * 16 + odd));
      const upper = (2 * 8 + (odd + 1) / 2) / 8; // the divisor just above the edge, in units
      for (const [rate, divisor] of [[edge, upper], [edge + 1, upper - 1 / 8]] as const) {
        const d = ftdiDivisor(rate, chip);
        const eighths = Math.round(divisor * 8);
        assert.equal(d.encoded & 0x3fff, eighths >> 3, `${chip} ${rate}`);
        assert.equal((d.encoded >> 14) & 7, eighthsCode[eighths & 7], `${chip} ${rate}`);
      }
    }
  }
});

/** The rate the chip produces from an encoded divisor, decoded independently of the encoder. */
function rateOf(encoded: number): number {
  const base = encoded & 0x20000 ? 12_000_000 : 3_000_000;
  const integer = encoded & 0x3fff;
  const eighths = [0, 4, 2, 1, 3, 5, 6, 7][(encoded >> 14) & 7]!;
  if (integer === 0 && eighths === 0) return base;
  if (integer === 1 && eighths === 0) return base / 1.5;
  return base / (integer + eighths / 8);
}

test('standard rates: wire values on port B and real error within 3 %', () => {
  // wValue/wIndex for SIO_SET_BAUD_RATE on port B (wIndex low byte 2). 9600 = 0x4138 and
  // 115200 = 0x001A on a 3 MHz base are FTDI's AN232B-05 values.
  const expected: Record<FtdiChip, Record<number, [number, number]>> = {
    ft2232c: { 9600: [0x4138, 0x0002], 115200: [0x001a, 0x0002], 921600: [0x8003, 0x0002], 1_000_000: [0x0003, 0x0002], 3_000_000: [0x0000, 0x0002], 2_000_000: [0x0001, 0x0002] },
    ft2232h: { 9600: [0x04e2, 0x0202], 115200: [0xc068, 0x0202], 921600: [0x000d, 0x0202], 1_000_000: [0x000c, 0x0202], 3_000_000: [0x0004, 0x0202] },
  };
  for (const chip of ['ft2232c', 'ft2232h'] as const) {
    for (const [rate, [value, index]] of Object.entries(expected[chip])) {
      const baud = Number(rate);
      const s = ftdiBaudSetting(baud, chip, 2);
      assert.equal(s.value, value, `${chip} ${baud} wValue 0x${s.value.toString(16)}`);
      assert.equal(s.index, index, `${chip} ${baud} wIndex 0x${s.index.toString(16)}`);
      const real = rateOf(s.value | ((s.index & 0xff00) << 8));
      const err = Math.abs(real - baud) / baud;
      assert.ok(err <= MAX_BAUD_ERROR, `${chip} ${baud}: chip runs at ${real.toFixed(0)} (${(err * 100).toFixed(2)} %)`);
      assert.ok(Math.abs(real - s.actualBaud) <= 1, `${chip} ${baud}: reported ${s.actualBaud}, decoded ${real}`);
    }
  }
});

test('the high divisor bit and the port share wIndex: bit 16 in the high byte, port in the low', () => {
  // 184 baud needs fraction code 4 (3/8), whose top bit is divisor bit 16.
  const a = ftdiBaudSetting(184, 'ft2232h', 1);
  assert.equal(a.index, 0x0101);
  assert.equal(a.value, 16304);
  assert.equal(ftdiBaudSetting(184, 'ft2232c', 2).index, 0x0102);
});

test('rates the chip cannot make within 3 % are refused with the nearest rate named', () => {
  assert.throws(() => ftdiBaudSetting(4_000_000, 'ft2232c', 2), (e: unknown) => e instanceof FtdiBaudError && /4000000 baud.*FT2232C.*nearest is 3000000/.test(e.message));
  assert.throws(() => ftdiBaudSetting(20_000_000, 'ft2232h', 2), FtdiBaudError);
  assert.throws(() => ftdiBaudSetting(0, 'ft2232h', 2), /positive integer/);
  assert.throws(() => ftdiBaudSetting(9600.5, 'ft2232h', 2), /positive integer/);
  // Sweep 300 baud to each chip's top rate against a brute-force oracle over every divisor the chip
  // accepts (1, 1.5, and 2 upwards in eighths): when some divisor gets within 3 % the rate is set
  // within 3 % and no worse than 0.1 % behind the best; otherwise it is refused.
  for (const [chip, base] of [['ft2232c', 3_000_000], ['ft2232h', 12_000_000]] as const) {
    for (let baud = 300; baud <= base; baud = Math.ceil(baud * 1.013)) {
      const ideal = base / baud;
      const nearestEighth = Math.max(2, Math.round(ideal * 8) / 8);
      const candidates = [1, 1.5, nearestEighth, nearestEighth + 0.125, Math.max(2, nearestEighth - 0.125)];
      const bestErr = Math.min(...candidates.map((d) => Math.abs(base / d - baud) / baud));
      if (bestErr > MAX_BAUD_ERROR) {
        assert.throws(() => ftdiBaudSetting(baud, chip, 2), FtdiBaudError, `${chip} ${baud} should be refused`);
        continue;
      }
      const s = ftdiBaudSetting(baud, chip, 2);
      const real = rateOf(s.value | ((s.index & 0xff00) << 8));
      const err = Math.abs(real - baud) / baud;
      assert.ok(err <= MAX_BAUD_ERROR && err <= bestErr + 0.001, `${chip} ${baud} → ${real} (${err}, best ${bestErr})`);
    }
  }
});
