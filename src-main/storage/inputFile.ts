/**
 * Files that come from outside the app: a folder on a USB stick, a CSV manifest someone wrote, a model
 * package from another clinic, a recording picked on the Screen page. Every such read goes through here so
 * that the same three promises hold everywhere:
 *
 * - a name taken from inside a file or folder (a manifest row, `files.*` of a package) is a plain relative
 *   path that stays inside its folder, checked as text and again after the file system resolved it;
 * - only regular files are read (no `/dev/zero`, FIFOs or sockets), and names from inside a folder may not
 *   be symbolic links (a link can point anywhere, which is the escape the text check cannot see);
 * - every read has a size cap chosen for its kind of file, checked on the open descriptor before reading
 *   and again while reading (a file can grow between `fstat` and `read`).
 *
 * Errors name the file and say what is wrong in words a person can act on.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { relativeNameProblem } from './relativeName';

export { relativeFileNameSchema, relativeNameProblem } from './relativeName';

/** Size caps per kind of file, in bytes. Each is far above any real file of its kind and far below what hurts the machine. */
export const INPUT_LIMITS = {
  /** 10 minutes of 48 kHz stereo 32-bit float is 230 MB; a screening take is 5–30 s. */
  audioBytes: 256 * 1024 * 1024,
  /** A 16-bit PNG frame; real depth and thermal sensors give at most a few MB. */
  imageBytes: 64 * 1024 * 1024,
  /** CSV manifests and JSON metadata read whole into memory. */
  tableBytes: 16 * 1024 * 1024,
  /** A package's model.json. */
  manifestBytes: 4 * 1024 * 1024,
  /** ONNX models, firmware blobs and int8 graphs of a package; the bundled ones are under 200 KB. */
  modelFileBytes: 128 * 1024 * 1024,
} as const;

export type InputFileReason = 'missing' | 'notRegular' | 'symlink' | 'tooLarge' | 'escapes' | 'badName' | 'unreadable';

export class InputFileError extends Error {
  override readonly name = 'InputFileError';

  constructor(
    readonly file: string,
    readonly reason: InputFileReason,
    /** What is wrong, without the file name (for callers that report the file separately). */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  // '..foo' is a legal name inside the folder; only a whole '..' segment leaves it.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Joins a name read from outside onto its folder, refusing anything that could leave the folder: bad
 * names (as text) and, where the path exists, a real path outside the folder's real path (a symlinked
 * folder on the way). `what` names where the name came from, for the error (e.g. "files.architecture").
 */
export function resolveInside(root: string, name: string, what: string): string {
  const problem = relativeNameProblem(name);
  // Named by its folder (callers put the name as written in `what`): joined, '../../x' would name a file outside it.
  if (problem) throw new InputFileError(root, 'badName', `${what} ${problem}`);
  const target = resolve(root, name);
  if (!isInside(resolve(root), target)) throw new InputFileError(target, 'escapes', `${what} points outside ${root}`);
  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = realpathSync(root);
    realTarget = realpathSync(target);
  } catch {
    return target; // not there (yet): the reader reports it as missing
  }
  if (!isInside(realRoot, realTarget)) throw new InputFileError(target, 'escapes', `${what} leads outside ${root} through a symbolic link`);
  return target;
}

export interface InputReadOptions {
  /** Largest accepted size in bytes (one of INPUT_LIMITS, usually). */
  readonly maxBytes: number;
  /** What the file is, for the messages: "recording", "model file", "manifest". */
  readonly kind: string;
  /** Refuse a symbolic link at the last path component (names read from inside a folder). Default false: a path the person picked may be a link. */
  readonly noSymlink?: boolean;
}

function humanBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} bytes`;
}

function openError(file: string, e: unknown, o: InputReadOptions): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new InputFileError(file, 'missing', 'the file does not exist');
  if (code === 'ELOOP') return new InputFileError(file, 'symlink', `the ${o.kind} is a symbolic link; copy the file itself`);
  if (code === 'EISDIR') return new InputFileError(file, 'notRegular', 'this is a folder, not a file');
  if (code === 'EACCES' || code === 'EPERM') return new InputFileError(file, 'unreadable', 'permission denied');
  return new InputFileError(file, 'unreadable', `cannot read the file (${code ?? String(e)})`);
}

function checkStats(file: string, st: Stats, o: InputReadOptions): void {
  if (st.isDirectory()) throw new InputFileError(file, 'notRegular', 'this is a folder, not a file');
  if (!st.isFile()) throw new InputFileError(file, 'notRegular', `not a regular file (a device, pipe or socket), so it is not read as a ${o.kind}`);
  if (st.size > o.maxBytes) {
    // Just over the cap, rounded figures would read "128 MB, more than 128 MB": give the bytes then.
    const [size, cap] = humanBytes(st.size) === humanBytes(o.maxBytes) ? [`${st.size} bytes`, `${o.maxBytes} bytes`] : [humanBytes(st.size), humanBytes(o.maxBytes)];
    throw new InputFileError(file, 'tooLarge', `the ${o.kind} is ${size}, more than the ${cap} this app reads`);
  }
}

/**
 * The next read's size: the rest of the file as `fstat` saw it plus one byte (so growth and end of file
 * show in one more read), at most 1 MB at a time and never past the cap. Small frames then cost one
 * small allocation, not a megabyte each.
 */
function chunkSize(st: Stats, total: number, o: InputReadOptions): number {
  const expected = st.size - total + 1;
  // At the end fstat saw, one byte tells end of file from growth; past it the file is growing, so read in
  // full chunks and a fast writer cannot make this crawl.
  return Math.min(1024 * 1024, o.maxBytes + 1 - total, expected >= 1 ? expected : 1024 * 1024);
}

function tooLargeWhileReading(file: string, o: InputReadOptions): InputFileError {
  return new InputFileError(file, 'tooLarge', `the ${o.kind} grew past ${humanBytes(o.maxBytes)} while it was read`);
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever before fstat can refuse it.
function openFlags(o: InputReadOptions): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (o.noSymlink ? constants.O_NOFOLLOW : 0);
}

/** Reads a file from outside: a regular file, at most `maxBytes`, with errors that name it. */
export async function readInputFile(file: string, o: InputReadOptions): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, openFlags(o));
  } catch (e) {
    throw openError(file, e, o);
  }
  try {
    const st = await handle.stat();
    checkStats(file, st, o);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize(st, total, o));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > o.maxBytes) throw tooLargeWhileReading(file, o);
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw openError(file, e, o);
  } finally {
    await handle.close();
  }
}

/** The checks of `readInputFile` without reading: for a file that must be there and sane but whose bytes are not needed now. */
export async function checkInputFile(file: string, o: InputReadOptions): Promise<void> {
  let handle;
  try {
    handle = await open(file, openFlags(o));
  } catch (e) {
    throw openError(file, e, o);
  }
  try {
    checkStats(file, await handle.stat(), o);
  } finally {
    await handle.close();
  }
}

/** The synchronous twin of `readInputFile`, for loaders that are synchronous today. */
export function readInputFileSync(file: string, o: InputReadOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(file, openFlags(o));
  } catch (e) {
    throw openError(file, e, o);
  }
  try {
    const st = fstatSync(fd);
    checkStats(file, st, o);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize(st, total, o));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > o.maxBytes) throw tooLargeWhileReading(file, o);
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw openError(file, e, o);
  } finally {
    closeSync(fd);
  }
}

/** Reads a text file from outside as UTF-8 (CSV manifests, JSON metadata), capped at `INPUT_LIMITS.tableBytes` unless told. */
export function readInputTextSync(file: string, o: Partial<InputReadOptions> & { kind: string }): string {
  return readInputFileSync(file, { maxBytes: INPUT_LIMITS.tableBytes, ...o }).toString('utf8');
}
