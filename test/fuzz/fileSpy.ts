/**
 * Records which files the code under test opened or read, so a target can assert that nothing outside
 * the folder it was given was touched: a manifest row naming `../outside.wav` may be refused or reported,
 * but that file must never be opened. Only successful opens count (an `O_NOFOLLOW` open that refuses a
 * link is the defence working), each with its real path, so a symbolic link inside the folder that leads
 * out is caught too. The fs functions are wrapped once and the ESM named exports synced
 * (`syncBuiltinESMExports`), so `import { readFile } from 'node:fs/promises'` in src-main is seen as well.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

export interface OpenedFile {
  /** The path as given, made absolute. */
  readonly path: string;
  /** Where it really led (symbolic links resolved), when that could be found. */
  readonly real: string;
}

const opened: OpenedFile[] = [];
let installed = false;

type AnyFn = (...args: unknown[]) => unknown;

function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof URL) return arg.pathname;
  if (Buffer.isBuffer(arg)) return arg.toString();
  return undefined; // a file descriptor or handle: its open was recorded already
}

function record(arg: unknown): void {
  const given = pathOf(arg);
  if (given === undefined) return;
  const path = resolve(given);
  opened.push({ path, real: realPathOrSelf(path) });
}

function wrapSync(owner: Record<string, AnyFn>, name: string): void {
  const original = owner[name]!;
  owner[name] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    record(args[0]);
    return result;
  };
}

function wrapPromise(owner: Record<string, AnyFn>, name: string): void {
  const original = owner[name]!;
  owner[name] = function (this: unknown, ...args: unknown[]) {
    return (original.apply(this, args) as Promise<unknown>).then((result) => {
      record(args[0]);
      return result;
    });
  };
}

function wrapCallback(owner: Record<string, AnyFn>, name: string): void {
  const original = owner[name]!;
  owner[name] = function (this: unknown, ...args: unknown[]) {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, ...rest: unknown[]) => {
        if (!err) record(args[0]);
        return (callback as AnyFn)(err, ...rest);
      };
    }
    return original.apply(this, args);
  };
}

function wrapStream(owner: Record<string, AnyFn>, name: string): void {
  const original = owner[name]!;
  owner[name] = function (this: unknown, ...args: unknown[]) {
    const stream = original.apply(this, args) as fs.ReadStream;
    stream.once('open', () => record(args[0]));
    return stream;
  };
}

/** Starts recording every file opened or read through node:fs (idempotent). */
export function installFileSpy(): void {
  if (installed) return;
  installed = true;
  const f = fs as unknown as Record<string, AnyFn>;
  const p = fs.promises as unknown as Record<string, AnyFn>;
  for (const name of ['openSync', 'readFileSync', 'copyFileSync', 'cpSync']) wrapSync(f, name);
  for (const name of ['open', 'readFile', 'copyFile']) wrapCallback(f, name);
  wrapStream(f, 'createReadStream');
  for (const name of ['open', 'readFile', 'copyFile', 'cp']) wrapPromise(p, name);
  syncBuiltinESMExports();
}

/** The files opened since the last call. */
export function takeOpenedFiles(): OpenedFile[] {
  return opened.splice(0, opened.length);
}

/** The real path of an existing file, or the path itself when it does not exist (or cannot be resolved). */
export function realPathOrSelf(path: string): string {
  try {
    return fs.realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `path` is `dir` or inside it (plain path arithmetic: resolve links first where they matter). */
export function isInside(dir: string, path: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(d);
}
