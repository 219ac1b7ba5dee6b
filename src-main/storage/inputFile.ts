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
import { z } from 'zod';

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
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Most file systems stop at 255 bytes per name; 1024 for a relative path is generous and bounds the work. */
const MAX_RELATIVE_PATH = 1024;

/**
 * Why `name` is not a plain relative path, or undefined when it is one. Plain means: not empty, not
 * absolute, no drive letter or backslash (a Windows path written on another machine), no NUL or control
 * characters, and no `.` or `..` segment anywhere (so it cannot climb out, whatever the folder).
 */
export function relativeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_RELATIVE_PATH) return `is longer than ${MAX_RELATIVE_PATH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  if (name.includes('\\')) return 'contains a backslash (use / between folders)';
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name)) return 'is an absolute path (it must name a file inside its folder)';
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return "climbs out of its folder with '..'";
  if (segments.some((s) => s === '' || s === '.')) return "has an empty or '.' segment";
  return undefined;
}

/** A zod string that is a plain relative path inside its folder (see `relativeNameProblem`). */
export const relativeFileNameSchema = z.string().superRefine((name, ctx) => {
  const problem = relativeNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: `must be a file name inside the package folder: '${name.slice(0, 80)}' ${problem}` });
});

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/**
 * Joins a name read from outside onto its folder, refusing anything that could leave the folder: bad
 * names (as text) and, where the path exists, a real path outside the folder's real path (a symlinked
 * folder on the way). `what` names where the name came from, for the error (e.g. "files.architecture").
 */
export function resolveInside(root: string, name: string, what: string): string {
  const problem = relativeNameProblem(name);
  if (problem) throw new InputFileError(join(root, name.slice(0, 200)), 'badName', `${what} ${problem}`);
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
  if (st.size > o.maxBytes) throw new InputFileError(file, 'tooLarge', `the ${o.kind} is ${humanBytes(st.size)}, more than the ${humanBytes(o.maxBytes)} this app reads`);
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
    checkStats(file, await handle.stat(), o);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, o.maxBytes + 1 - total));
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

/** The synchronous twin of `readInputFile`, for loaders that are synchronous today. */
export function readInputFileSync(file: string, o: InputReadOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(file, openFlags(o));
  } catch (e) {
    throw openError(file, e, o);
  }
  try {
    checkStats(file, fstatSync(fd), o);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, o.maxBytes + 1 - total));
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
