/**
 * The text rule for a file name read from outside (a package's `files.*`, a manifest's path column): a
 * plain relative path that cannot leave its folder. Kept free of Node modules because the package schema
 * that uses it is also type-checked into the renderer; the file-system side is `inputFile.ts`.
 */
import { z } from 'zod';

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
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path (it must name a file inside its folder)';
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

/**
 * A path from a row of a CSV manifest (an audio data set's `path`, a frame set's `depth` / `thermal`),
 * tidied into the plain form `relativeNameProblem` accepts, without making anything acceptable that
 * could leave the folder. People write manifests with `find .` (`./audio/a.wav`), by hand (`a//b.wav`) or
 * in Excel on Windows (`audio\p1\a.wav`), and those rows name files inside the folder all the same:
 *
 * - `\` becomes `/`, unless the path starts with a drive letter (`C:`) or a UNC prefix (`\\server`):
 *   those stay as written, so the rule refuses them;
 * - `.` and empty segments are dropped (`./a`, `a/./b`, `a//b`): they cannot climb out. A leading `/`
 *   is kept, so an absolute path stays absolute and is refused;
 * - `..` is kept, so the rule refuses it wherever it is.
 *
 * The result still has to pass `relativeNameProblem`; the package schema keeps the strict rule untouched.
 */
export function manifestRowPath(name: string): string {
  if (name.length > MAX_RELATIVE_PATH) return name; // refused by length; not worth tidying
  if (/^[A-Za-z]:/.test(name) || name.startsWith('\\\\')) return name;
  const slashed = name.replaceAll('\\', '/');
  if (slashed.startsWith('/')) return slashed;
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  // Nothing left ('.', './', '//'?): give back what was written, so the refusal quotes the row's own text.
  return segments.length ? segments.join('/') : name;
}
