/**
 * Input mutation for the fuzzing suite, in the style of AFL's "havoc" stage and libFuzzer's default
 * mutators: a stack of small edits to a corpus file (bit flips, interesting integers, cuts, copies,
 * splices), with the header fields and chunks of a format known so that most edits land where a parser
 * makes decisions. Text and JSON get structured edits (cells and fields replaced by hostile values) so a
 * mutated manifest still parses far enough to reach the code that opens files.
 *
 * Everything draws from one seeded generator (the training one, mulberry32): a seed reproduces a run.
 */
import { seededRandom, type Random } from '../../src-main/train/random';

export { seededRandom, type Random };

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)]!;
}

export function chance(random: Random, p: number): boolean {
  return random.next() < p;
}

/** A header field a parser reads as an integer: where it sits, its width and byte order. */
export interface Field {
  readonly name: string;
  readonly at: number;
  readonly size: 1 | 2 | 4;
  readonly bigEndian?: boolean;
}

/** A byte range that is one unit of the format (a RIFF or PNG chunk), for duplication and removal. */
export interface Span {
  readonly at: number;
  readonly length: number;
}

export interface Layout {
  readonly fields: readonly Field[];
  readonly chunks: readonly Span[];
}

export type LayoutOf = (bytes: Uint8Array) => Layout;

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64];
const INTERESTING_16 = [0, 1, 2, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x100, 0x3e8, 0x1000];
const INTERESTING_32 = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff, 16000, 44100, 48000];

/** AFL's interesting values for a width, plus sizes near the file length (what size fields are checked against). */
export function interestingValues(size: 1 | 2 | 4, fileLength: number): number[] {
  const near = [fileLength, fileLength - 1, fileLength + 1, fileLength - 8, fileLength * 2, fileLength >>> 1];
  const base = size === 1 ? INTERESTING_8 : size === 2 ? INTERESTING_16 : INTERESTING_32;
  const max = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  return [...base, ...near.filter((v) => v >= 0 && v <= max)];
}

function writeUint(bytes: Uint8Array, at: number, size: 1 | 2 | 4, value: number, bigEndian: boolean): void {
  for (let i = 0; i < size && at + i < bytes.length; i++) {
    const shift = 8 * (bigEndian ? size - 1 - i : i);
    bytes[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

function readUint(bytes: Uint8Array, at: number, size: 1 | 2 | 4, bigEndian: boolean): number {
  let v = 0;
  for (let i = 0; i < size; i++) v += (bytes[at + i] ?? 0) * 2 ** (8 * (bigEndian ? size - 1 - i : i));
  return v;
}

function randomBytes(random: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = random.int(256);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A block length that is usually small and sometimes large, as AFL chooses them. */
function blockLength(random: Random, limit: number): number {
  if (limit <= 1) return limit;
  const cap = chance(random, 0.8) ? Math.min(limit, 32) : limit;
  return 1 + random.int(cap);
}

interface MutationContext {
  readonly random: Random;
  readonly layout?: Layout;
  readonly corpus: readonly Uint8Array[];
  readonly maxLength: number;
}

type Mutation = (bytes: Uint8Array, c: MutationContext) => Uint8Array;

const mutations: readonly { name: string; weight: number; apply: Mutation }[] = [
  {
    name: 'flip bit',
    weight: 3,
    apply: (b, { random }) => {
      if (b.length) b[random.int(b.length)]! ^= 1 << random.int(8);
      return b;
    },
  },
  {
    name: 'interesting byte',
    weight: 2,
    apply: (b, { random }) => {
      if (b.length) b[random.int(b.length)] = pick(random, INTERESTING_8);
      return b;
    },
  },
  {
    name: 'random byte',
    weight: 1,
    apply: (b, { random }) => {
      if (b.length) b[random.int(b.length)] = random.int(256);
      return b;
    },
  },
  {
    name: 'add/subtract',
    weight: 1,
    apply: (b, { random }) => {
      if (b.length < 4) return b;
      const size = pick(random, [1, 2, 4] as const);
      const at = random.int(b.length - size + 1);
      const be = chance(random, 0.5);
      const delta = (1 + random.int(35)) * (chance(random, 0.5) ? 1 : -1);
      writeUint(b, at, size, (readUint(b, at, size, be) + delta + 2 ** (8 * size)) % 2 ** (8 * size), be);
      return b;
    },
  },
  {
    name: 'interesting integer at a random offset',
    weight: 2,
    apply: (b, { random }) => {
      const size = pick(random, [2, 4] as const);
      if (b.length < size) return b;
      writeUint(b, random.int(b.length - size + 1), size, pick(random, interestingValues(size, b.length)), chance(random, 0.5));
      return b;
    },
  },
  {
    name: 'interesting integer in a header field',
    weight: 6,
    apply: (b, { random, layout }) => {
      if (!layout?.fields.length) return b;
      const f = pick(random, layout.fields);
      const values = interestingValues(f.size, b.length);
      // Now and then nudge the real value instead: off-by-one sizes are where parsers go wrong.
      const v = chance(random, 0.7) ? pick(random, values) : Math.max(0, readUint(b, f.at, f.size, !!f.bigEndian) + pick(random, [-1, 1, -2, 2, 8]));
      writeUint(b, f.at, f.size, v % 2 ** (8 * f.size), !!f.bigEndian);
      return b;
    },
  },
  {
    name: 'truncate',
    weight: 2,
    apply: (b, { random, layout }) => {
      // Cut inside a header as often as inside the data: the header is where lengths are trusted.
      const edges = layout?.fields.map((f) => f.at + random.int(f.size + 1)) ?? [];
      const at = edges.length && chance(random, 0.5) ? pick(random, edges) : random.int(b.length + 1);
      return b.subarray(0, Math.min(at, b.length));
    },
  },
  {
    name: 'extend',
    weight: 1,
    apply: (b, { random, maxLength }) => {
      const n = Math.min(blockLength(random, 4096), Math.max(0, maxLength - b.length));
      const tail = chance(random, 0.5) ? new Uint8Array(n) : randomBytes(random, n);
      return concat(b, tail);
    },
  },
  {
    name: 'erase block',
    weight: 1,
    apply: (b, { random }) => {
      if (b.length < 2) return b;
      const n = blockLength(random, b.length - 1);
      const at = random.int(b.length - n + 1);
      return concat(b.subarray(0, at), b.subarray(at + n));
    },
  },
  {
    name: 'duplicate block',
    weight: 1,
    apply: (b, { random, maxLength }) => {
      if (b.length < 2 || b.length >= maxLength) return b;
      const n = Math.min(blockLength(random, b.length), maxLength - b.length);
      const from = random.int(b.length - n + 1);
      const to = random.int(b.length + 1);
      return concat(b.subarray(0, to), b.slice(from, from + n), b.subarray(to));
    },
  },
  {
    name: 'duplicate chunk',
    weight: 2,
    apply: (b, { random, layout, maxLength }) => {
      if (!layout?.chunks.length) return b;
      const c = pick(random, layout.chunks);
      if (b.length + c.length > maxLength) return b;
      const chunk = b.slice(c.at, c.at + c.length);
      const to = chance(random, 0.5) ? c.at + c.length : pick(random, layout.chunks).at;
      return concat(b.subarray(0, to), chunk, b.subarray(to));
    },
  },
  {
    name: 'remove chunk',
    weight: 1,
    apply: (b, { random, layout }) => {
      if (!layout?.chunks.length) return b;
      const c = pick(random, layout.chunks);
      return concat(b.subarray(0, c.at), b.subarray(c.at + c.length));
    },
  },
  {
    name: 'splice with another corpus file',
    weight: 1,
    apply: (b, { random, corpus, maxLength }) => {
      if (!corpus.length) return b;
      const other = pick(random, corpus);
      const head = b.subarray(0, random.int(b.length + 1));
      const tail = other.subarray(random.int(other.length + 1));
      return concat(head, tail).subarray(0, maxLength);
    },
  },
];

const totalWeight = mutations.reduce((n, m) => n + m.weight, 0);

function pickMutation(random: Random): Mutation {
  let r = random.next() * totalWeight;
  for (const m of mutations) {
    r -= m.weight;
    if (r < 0) return m.apply;
  }
  return mutations[0]!.apply;
}

export interface ByteMutationOptions {
  /** Where the format's header fields and chunks are; re-read after every edit so stacked edits stay aimed. */
  readonly layout?: LayoutOf;
  /** Other inputs to splice with. */
  readonly corpus?: readonly Uint8Array[];
  /** Inputs never grow past this (default 1 MiB). */
  readonly maxLength?: number;
  /** Most edits stacked on one input (default 8; the count is drawn from 1, 2, 4, … like AFL's havoc). */
  readonly maxStack?: number;
}

/** A mutated copy of `input`: 1 to `maxStack` stacked byte-level edits. */
export function mutateBytes(input: Uint8Array, random: Random, o: ByteMutationOptions = {}): Uint8Array {
  const maxStack = o.maxStack ?? 8;
  const stack = Math.min(maxStack, 2 ** random.int(Math.log2(maxStack) + 1));
  let bytes: Uint8Array = input.slice();
  for (let i = 0; i < stack; i++) {
    const layout = o.layout ? safeLayout(o.layout, bytes) : undefined;
    bytes = pickMutation(random)(bytes, { random, layout, corpus: o.corpus ?? [], maxLength: o.maxLength ?? 1024 * 1024 });
    if (bytes.buffer.byteLength !== bytes.length || bytes.byteOffset !== 0) bytes = bytes.slice();
  }
  return bytes;
}

function safeLayout(layoutOf: LayoutOf, bytes: Uint8Array): Layout | undefined {
  try {
    return layoutOf(bytes);
  } catch {
    return undefined;
  }
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** RIFF/WAVE: the RIFF size, every chunk's size, the fmt fields (and the extensible sub-format) and the chunks themselves. */
export function riffLayout(bytes: Uint8Array): Layout {
  const fields: Field[] = [{ name: 'RIFF size', at: 4, size: 4 }];
  const chunks: Span[] = [];
  let at = 12;
  while (at + 8 <= bytes.length && chunks.length < 64) {
    const size = readUint(bytes, at + 4, 4, false);
    fields.push({ name: `${ascii(bytes, at)} size`, at: at + 4, size: 4 });
    if (ascii(bytes, at) === 'fmt ') {
      const f = at + 8;
      fields.push(
        { name: 'audio format', at: f, size: 2 },
        { name: 'channels', at: f + 2, size: 2 },
        { name: 'sample rate', at: f + 4, size: 4 },
        { name: 'byte rate', at: f + 8, size: 4 },
        { name: 'block align', at: f + 12, size: 2 },
        { name: 'bits per sample', at: f + 14, size: 2 },
      );
      if (size >= 18) fields.push({ name: 'cbSize', at: f + 16, size: 2 });
      if (size >= 40) fields.push({ name: 'valid bits', at: f + 18, size: 2 }, { name: 'channel mask', at: f + 20, size: 4 }, { name: 'sub-format', at: f + 24, size: 2 });
    }
    const length = Math.min(8 + size + (size & 1), bytes.length - at);
    chunks.push({ at, length });
    at += length;
  }
  return { fields: fields.filter((f) => f.at + f.size <= bytes.length), chunks };
}

/** PNG: every chunk's length and CRC, the IHDR fields (width, height, bit depth, colour type, interlace) and the chunks. */
export function pngLayout(bytes: Uint8Array): Layout {
  const fields: Field[] = [];
  const chunks: Span[] = [];
  let at = 8;
  while (at + 12 <= bytes.length && chunks.length < 64) {
    const length = readUint(bytes, at, 4, true);
    fields.push({ name: `${ascii(bytes, at + 4)} length`, at, size: 4, bigEndian: true });
    if (ascii(bytes, at + 4) === 'IHDR') {
      const d = at + 8;
      fields.push(
        { name: 'width', at: d, size: 4, bigEndian: true },
        { name: 'height', at: d + 4, size: 4, bigEndian: true },
        { name: 'bit depth', at: d + 8, size: 1 },
        { name: 'colour type', at: d + 9, size: 1 },
        { name: 'compression', at: d + 10, size: 1 },
        { name: 'filter', at: d + 11, size: 1 },
        { name: 'interlace', at: d + 12, size: 1 },
      );
    }
    const span = Math.min(12 + length, bytes.length - at);
    if (at + 8 + length + 4 <= bytes.length) fields.push({ name: `${ascii(bytes, at + 4)} CRC`, at: at + 8 + length, size: 4, bigEndian: true });
    chunks.push({ at, length: span });
    at += span;
  }
  return { fields: fields.filter((f) => f.at + f.size <= bytes.length), chunks };
}

/** Values that break file-handling code when they appear where a name, a number or a word is expected. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../',
  '/',
  '//',
  '\u0000',
  'a\u0000b',
  '"',
  '""',
  '"a,b"',
  "'",
  ',',
  '\r',
  '\n',
  '\r\n',
  '\ufeff',
  '\ud800',
  'ü',
  'C:\\Windows\\win.ini',
  'a\\b',
  '%00',
  '%2e%2e/',
  '${HOME}',
  '~',
  '-1',
  '0',
  '1e308',
  '-1e308',
  'NaN',
  'Infinity',
  '99999999999999999999999',
  '4294967295',
  '9007199254740993',
  '__proto__',
  'constructor',
];

/** Replaces a random character range of `text` with `insert`. */
function spliceText(text: string, random: Random, insert: string): string {
  const at = random.int(text.length + 1);
  const cut = chance(random, 0.5) ? 0 : random.int(Math.min(16, text.length - at) + 1);
  return text.slice(0, at) + insert + text.slice(at + cut);
}

export interface TextMutationOptions {
  /** Values worth trying in a cell: paths the target must refuse, names of real files beside the manifest. */
  readonly vocabulary: readonly string[];
  /** At most this many rows after duplication (bounds the legitimate work an input asks for). */
  readonly maxRows?: number;
  /** Longest line a mutation writes. */
  readonly maxLineLength?: number;
}

/**
 * A mutated CSV: cells replaced by hostile values, rows duplicated, dropped or swapped, header columns
 * renamed, repeated or removed, a very long line, quotes and NUL; sometimes byte-level edits on top.
 */
export function mutateCsv(text: string, random: Random, o: TextMutationOptions): string {
  const rows = text.split(/\r?\n/).map((line) => line.split(','));
  const maxRows = o.maxRows ?? 200;
  const edits = 1 + random.int(4);
  for (let e = 0; e < edits; e++) {
    const r = random.int(rows.length);
    const row = rows[r]!;
    const c = random.int(row.length);
    switch (random.int(10)) {
      case 0:
      case 1:
      case 2:
        row[c] = pick(random, o.vocabulary);
        break;
      case 3:
        row[c] = pick(random, HOSTILE_STRINGS);
        break;
      case 4:
        row[c] = `"${(row[c] ?? '').replace(/"/g, '""')}${chance(random, 0.3) ? ',' : ''}${chance(random, 0.3) ? '"' : ''}`;
        break;
      case 5:
        if (rows.length < maxRows) rows.splice(r, 0, [...row]);
        else rows.splice(r, 1);
        break;
      case 6:
        if (rows.length > 1) rows.splice(r, 1);
        break;
      case 7: {
        // Header edits: a column renamed, repeated or dropped changes which cell holds the path.
        const header = rows[0]!;
        const h = random.int(header.length);
        const op = random.int(3);
        if (op === 0) header[h] = pick(random, [...header, 'PATH', 'Path ', 'path\u0000', '']);
        else if (op === 1) header.push(header[h]!);
        else header.splice(h, 1);
        break;
      }
      case 8: {
        const n = Math.min(o.maxLineLength ?? 100_000, 2 ** (4 + random.int(14)));
        row[c] = pick(random, ['a', '../', ',', '"', 'é']).repeat(n).slice(0, n);
        break;
      }
      default:
        if (rows.length < maxRows && chance(random, 0.5)) {
          const n = Math.min(maxRows - rows.length, 1 + random.int(50));
          for (let i = 0; i < n; i++) rows.push([...row]);
        } else rows[r] = row.concat(Array.from({ length: 1 + random.int(20) }, () => pick(random, o.vocabulary)));
    }
  }
  let out = rows.map((row) => row.join(',')).join(pick(random, ['\n', '\n', '\r\n', '\r']));
  if (chance(random, 0.2)) out = spliceText(out, random, pick(random, [...HOSTILE_STRINGS, ...o.vocabulary]));
  return out;
}

export interface JsonMutationOptions {
  /** Strings worth trying in any field (traversal names, absolute paths, names of real files). */
  readonly vocabulary: readonly string[];
  /** Longest array a mutation builds (default 10 000). */
  readonly maxArray?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every (parent, key) pair in the document, so an edit can land on any node. */
function slots(root: Json): { parent: Json[] | { [key: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [key: string]: Json }; key: string | number }[] = [];
  const walk = (v: Json, depth: number) => {
    if (depth > 32) return;
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), walk(x, depth + 1)));
    else if (isObject(v)) for (const k of Object.keys(v)) (out.push({ parent: v, key: k }), walk(v[k]!, depth + 1));
  };
  walk(root, 0);
  return out;
}

function hostileValue(random: Random, o: JsonMutationOptions, current: Json): Json {
  const maxArray = o.maxArray ?? 10_000;
  switch (random.int(12)) {
    case 0:
    case 1:
    case 2:
      return pick(random, o.vocabulary);
    case 3:
      return pick(random, HOSTILE_STRINGS);
    case 4:
      return pick(random, [0, -1, 1, 0.5, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 63), 5e-324]);
    case 5:
      return pick(random, [null, true, false]);
    case 6:
      return [];
    case 7:
      return {};
    case 8: {
      // Huge but flat: elements are primitives, so a second edit cannot multiply it again.
      const n = Math.min(maxArray, 2 ** random.int(15));
      const first = Array.isArray(current) ? current[0] : undefined;
      const element = first !== undefined && (first === null || typeof first !== 'object') ? first : pick(random, o.vocabulary);
      return new Array<Json>(n).fill(element);
    }
    case 9:
      return 'x'.repeat(2 ** random.int(17));
    case 10: {
      // Deep nesting: parsers and validators that recurse run out of stack here.
      let v: Json = 1;
      for (let d = 2 ** random.int(13); d > 0; d--) v = [v];
      return v;
    }
    default:
      // The same value as the wrong type.
      return typeof current === 'string' ? Number(current) || 0 : typeof current === 'number' ? String(current) : Array.isArray(current) ? (current[0] ?? null) : [current];
  }
}

/**
 * A mutated JSON document: fields replaced by wrong types, hostile strings, huge or deeply nested
 * arrays; keys deleted or added. `source` may be text that no longer parses (then only byte edits apply).
 */
export function mutateJson(source: string, random: Random, o: JsonMutationOptions): string {
  let doc: Json;
  try {
    doc = JSON.parse(source) as Json;
  } catch {
    return new TextDecoder().decode(mutateBytes(new TextEncoder().encode(source), random, { maxStack: 4 }));
  }
  const edits = 1 + random.int(3);
  for (let e = 0; e < edits; e++) {
    const all = slots(doc);
    if (!all.length) {
      doc = hostileValue(random, o, doc);
      continue;
    }
    const { parent, key } = pick(random, all);
    const op = random.int(10);
    if (op < 7) (parent as Record<string | number, Json>)[key] = hostileValue(random, o, (parent as Record<string | number, Json>)[key]!);
    else if (op === 7) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op === 8 && isObject(parent)) parent[pick(random, [...o.vocabulary, '__proto__', 'extra', ''])] = hostileValue(random, o, null);
    else if (Array.isArray(parent)) parent.push(parent[key as number]!);
  }
  let text: string;
  try {
    text = JSON.stringify(doc, null, chance(random, 0.5) ? 2 : undefined);
  } catch {
    return mutateJson(source, random, { ...o, maxArray: 16 }); // grew past what a string can hold: try a smaller edit
  }
  if (chance(random, 0.15)) text = spliceText(text, random, pick(random, ['"', ',', '}', ']', '\\', '\\u00', '\u0000', ...o.vocabulary.map((v) => JSON.stringify(v)).slice(0, 8)]));
  return text;
}

/** One WebSocket frame as a client writes it (RFC 6455 §5.2); every field can be set wrong on purpose. */
export interface WsFrame {
  readonly fin?: boolean;
  /** The three reserved bits (0–7); a server without extensions must refuse any. */
  readonly rsv?: number;
  readonly opcode: number;
  /** Clients must mask; default true. */
  readonly masked?: boolean;
  /** Default 0: the payload goes out as is, so corpus files stay readable. */
  readonly maskKey?: number;
  readonly payload: Uint8Array;
  /** The declared length when it should differ from the payload's (a lie), and how it is encoded. */
  readonly declaredLength?: bigint;
  readonly lengthForm?: 7 | 16 | 64;
}

export function wsFrame(f: WsFrame): Uint8Array {
  const length = f.declaredLength ?? BigInt(f.payload.length);
  const form = f.lengthForm ?? (length < 126n ? 7 : length < 65536n ? 16 : 64);
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | (((f.rsv ?? 0) & 7) << 4) | (f.opcode & 0x0f)];
  const maskBit = (f.masked ?? true) ? 0x80 : 0;
  if (form === 7) head.push(maskBit | Number(length & 0x7fn));
  else if (form === 16) head.push(maskBit | 126, Number((length >> 8n) & 0xffn), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((length >> BigInt(8 * i)) & 0xffn));
  }
  const key = f.maskKey ?? 0;
  const keyBytes = [(key >>> 24) & 0xff, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
  const payload = (f.masked ?? true) ? f.payload.map((b, i) => b ^ keyBytes[i % 4]!) : f.payload;
  return concat(Uint8Array.from(head), (f.masked ?? true) ? Uint8Array.from(keyBytes) : new Uint8Array(0), payload);
}

/** Parses client frames back (unmasking them), or undefined when the bytes are not a whole number of frames. */
export function parseWsFrames(bytes: Uint8Array): WsFrame[] | undefined {
  const frames: WsFrame[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return undefined;
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = BigInt(b1 & 0x7f);
    let p = at + 2;
    let lengthForm: 7 | 16 | 64 = 7;
    if (length === 126n) {
      length = BigInt(readUint(bytes, p, 2, true));
      p += 2;
      lengthForm = 16;
    } else if (length === 127n) {
      length = (BigInt(readUint(bytes, p, 4, true)) << 32n) | BigInt(readUint(bytes, p + 4, 4, true));
      p += 8;
      lengthForm = 64;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? readUint(bytes, p, 4, true) : 0;
    if (masked) p += 4;
    if (p + Number(length) > bytes.length) return undefined;
    const keyBytes = [(key >>> 24) & 0xff, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
    const payload = bytes.slice(p, p + Number(length)).map((b, i) => (masked ? b ^ keyBytes[i % 4]! : b));
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, maskKey: key, payload, lengthForm });
    at = p + Number(length);
  }
  return frames;
}
