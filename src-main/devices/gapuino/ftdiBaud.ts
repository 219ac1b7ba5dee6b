/**
 * FTDI baud-rate divisor encoding (FTDI AN232B-05, AN_120; same results as libftdi's
 * ftdi_convert_baudrate and the Linux ftdi_sio driver).
 *
 * The UART clock is a base clock divided by an integer plus a fraction in eighths. The chip does not
 * take the fraction as a plain 3-bit number: the code sent for n/8 is FRACTION_CODE[n], spread over
 * bits 14–16 of the encoded divisor. Two integer values are special: divisor 0 means 1 (the base
 * rate itself, 3 Mbaud on a 3 MHz base) and divisor 1 means 1.5 (2 Mbaud).
 */

/** FT2232C/D (bcdDevice 5.00, full speed, 3 MHz base) or FT2232H (bcdDevice 7.00, high speed, 12 MHz base). */
export type FtdiChip = 'ft2232c' | 'ft2232h';

/** Largest baud error we accept; a UART on the far side tolerates a few percent in total. */
export const MAX_BAUD_ERROR = 0.03;

/** Index = eighths of the fractional part; value = the code the chip expects for it. */
const FRACTION_CODE = [0, 3, 2, 4, 1, 5, 6, 7] as const;

/** H chips select the 120 MHz/10 clock with this bit of the encoded divisor (bit 9 of wIndex). */
const H_CLOCK_SELECT = 0x20000;
const C_CLOCK_HZ = 48_000_000;
const H_CLOCK_HZ = 120_000_000;

export interface FtdiDivisor {
  /** Up to 18 bits: bits 0–13 integer part, 14–16 fraction code, 17 the H-chip clock select. */
  readonly encoded: number;
  /** The rate the chip will really run at, rounded like libftdi. */
  readonly actualBaud: number;
}

export class FtdiBaudError extends Error {
  override readonly name = 'FtdiBaudError';
}

/** Integer division as the C reference does it, so boundary rates land on the same divisor. */
function idiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Divisor for one clock: `clockHz / prescale` is the base rate (48 MHz/16 = 3 MHz, 120 MHz/10 = 12 MHz). */
function divisorForClock(baud: number, clockHz: number, prescale: number): FtdiDivisor {
  const base = idiv(clockHz, prescale);
  const oneAndHalf = idiv(clockHz, prescale + prescale / 2);
  const half = idiv(clockHz, 2 * prescale);
  if (baud >= half) {
    // Above half the base rate only divisors 2, 1.5 (encoded 1) and 1 (encoded 0) exist. libftdi rounds
    // down to one of them; we take the nearest, which agrees on every exact rate and lets e.g. 1.95 Mbaud
    // run at 2 Mbaud (2.5 % off) instead of 1.5 Mbaud (23 % off).
    const options: FtdiDivisor[] = [
      { encoded: 2, actualBaud: half },
      { encoded: 1, actualBaud: oneAndHalf },
      { encoded: 0, actualBaud: base },
    ];
    return options.reduce((best, o) => (Math.abs(o.actualBaud - baud) < Math.abs(best.actualBaud - baud) ? o : best));
  }

  // Sixteenths first, so the last bit decides rounding to the nearest eighth (half up).
  const sixteenths = idiv(idiv(clockHz * 16, prescale), baud);
  let eighths = sixteenths % 2 === 1 ? idiv(sixteenths, 2) + 1 : idiv(sixteenths, 2);
  if (eighths > 0x20000) eighths = 0x1ffff;
  const doubled = idiv(idiv(clockHz * 16, prescale), eighths);
  const actualBaud = doubled % 2 === 1 ? idiv(doubled, 2) + 1 : idiv(doubled, 2);
  const encoded = (eighths >> 3) | (FRACTION_CODE[eighths & 7]! << 14);
  return { encoded, actualBaud };
}

/** The encoded divisor for `baud` on `chip`, without range checks (see ftdiBaudSetting). */
export function ftdiDivisor(baud: number, chip: FtdiChip): FtdiDivisor {
  if (!Number.isInteger(baud) || baud <= 0) throw new FtdiBaudError(`baud rate must be a positive integer, got ${baud}`);
  if (chip === 'ft2232h' && baud * 10 > idiv(H_CLOCK_HZ, 0x3fff)) {
    const d = divisorForClock(baud, H_CLOCK_HZ, 10);
    return { encoded: d.encoded | H_CLOCK_SELECT, actualBaud: d.actualBaud };
  }
  // Slow rates on H chips need the 3 MHz base: the 14-bit divisor cannot reach them from 12 MHz.
  return divisorForClock(baud, C_CLOCK_HZ, 16);
}

export interface FtdiBaudSetting {
  /** wValue of SIO_SET_BAUD_RATE: the low 16 bits of the encoded divisor. */
  readonly value: number;
  /** wIndex: bits 16–17 of the divisor in the high byte, the port (1 = A, 2 = B) in the low byte. */
  readonly index: number;
  readonly actualBaud: number;
  /** |actual − requested| / requested. */
  readonly error: number;
}

/**
 * wValue/wIndex for SIO_SET_BAUD_RATE on one port of a multi-port chip. On FT2232C/D and H alike the
 * low byte of wIndex must name the port, so the divisor's high bits move to the high byte (as the
 * Linux ftdi_sio driver does for every multi-port chip).
 */
export function ftdiBaudSetting(baud: number, chip: FtdiChip, portIndex: number): FtdiBaudSetting {
  const { encoded, actualBaud } = ftdiDivisor(baud, chip);
  const error = Math.abs(actualBaud - baud) / baud;
  if (error > MAX_BAUD_ERROR) {
    throw new FtdiBaudError(
      `${baud} baud cannot be set on an ${chip.toUpperCase()} within ${MAX_BAUD_ERROR * 100} % (nearest is ${actualBaud} baud, ${(error * 100).toFixed(1)} % off)`,
    );
  }
  return { value: encoded & 0xffff, index: ((encoded >> 8) & 0xff00) | (portIndex & 0xff), actualBaud, error };
}
