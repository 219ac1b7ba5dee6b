/**
 * Files and folders met inside a data set. A data set comes from outside (a USB stick, a shared drive, an
 * archive someone sent), so what it holds is not trusted: a symbolic link can point anywhere on the
 * machine and is never followed, only reported; a device or pipe named like a recording is skipped and
 * reported; a name written in a manifest must stay inside the manifest's folder.
 */
import { lstatSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { InputFileError, readInputTextSync, relativeNameProblem, resolveInside } from '../storage/inputFile';
import { manifestRowPath } from '../storage/relativeName';

const LINK_REFUSED = 'is a symbolic link, which is not followed inside a data set (copy the file or folder itself into the data set)';

/** Why a folder entry that should be a recording cannot be one; undefined for a regular file. */
export function recordingEntryProblem(entry: Dirent): string | undefined {
  if (entry.isSymbolicLink()) return LINK_REFUSED;
  if (entry.isDirectory()) return 'is a folder named like a recording; skipped';
  if (!entry.isFile()) return 'is not a regular file (a device, pipe or socket); skipped';
  return undefined;
}

/** The problem with a symbolic link met inside a data set (a participant folder, a CSV); undefined for anything else. */
export function linkProblem(entry: Dirent): string | undefined {
  return entry.isSymbolicLink() ? LINK_REFUSED : undefined;
}

/**
 * A text file of the data set (metadata JSON, batch CSV): a regular file, not a link, at most
 * `INPUT_LIMITS.tableBytes`. Throws `InputFileError` naming the file.
 */
export function readDatasetText(path: string, kind: string): string {
  return readInputTextSync(path, { kind, noSymlink: true });
}

/**
 * The file a manifest row names, or why the row is refused. The row's text is first tidied
 * (`manifestRowPath`: `./a.wav`, `a//b.wav`, `audio\a.wav` from a Windows-made CSV), then must be a plain
 * relative path inside the manifest's folder (no absolute path, drive letter or '..'), no symbolic link
 * may sit anywhere below that folder on its way, and when it exists it must be a regular file. A missing
 * file is accepted here: the import reports it, naming the file, as it does for every layout.
 */
export function manifestRecordingPath(root: string, written: string): { readonly path: string } | { readonly problem: string } {
  const shown = written.length > 120 ? `${written.slice(0, 120)}…` : written;
  const name = manifestRowPath(written);
  const badName = relativeNameProblem(name);
  if (badName) return { problem: `path '${shown}' ${badName}` };
  const parts = name.split('/');
  for (let k = 1; k <= parts.length; k++) {
    const at = join(root, ...parts.slice(0, k));
    let isLink: boolean;
    let isFile: boolean;
    try {
      const st = lstatSync(at);
      isLink = st.isSymbolicLink();
      isFile = st.isFile();
    } catch {
      break; // not there: left for the import to report
    }
    if (isLink) return { problem: `path '${shown}': ${at} ${LINK_REFUSED}` };
    if (k === parts.length && !isFile) return { problem: `path '${shown}': ${at} is not a regular file` };
  }
  try {
    // Belt and braces: the real path must still be inside the folder's real path.
    return { path: resolveInside(root, name, `path '${shown}'`) };
  } catch (e) {
    if (e instanceof InputFileError) return { problem: e.message };
    throw e;
  }
}
