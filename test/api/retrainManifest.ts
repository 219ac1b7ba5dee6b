import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { openDataset } from '../../src-main/datasets/openDataset';
import { COSWARA_DIR } from '../audio/coswaraFixture';

/** A participant whose recordings (cough-heavy.wav included) are headers with no samples: real bad input in every manifest. */
export const EMPTY_COUGH_SUBJECT = 'TRK6gUseEUS7dbF0soG80W1uLm53';

/**
 * A copy of a real recording beside the manifest, named by its path relative to `dir`: a manifest's
 * paths must stay inside its folder (absolute paths and symbolic links are refused), as a clinic's would.
 */
function copyInto(dir: string, subject: string, source: string): string {
  const target = join(dir, 'recordings', subject, basename(source));
  mkdirSync(join(dir, 'recordings', subject), { recursive: true });
  copyFileSync(source, target);
  return relative(dir, target);
}

/**
 * Writes `manifest.csv` (`subject,label,modality,path`) for `perClass` Coswara participants of each
 * gender (sorted by id, so the same every run) plus the participant with the empty cough file, whose
 * label is their `g` value; the recordings are copied under `dir/recordings/`. Returns the manifest's path.
 */
export function writeCoswaraManifest(dir: string, perClass: number): string {
  const dataset = openDataset(COSWARA_DIR);
  const complete = dataset.subjects
    .filter((s) => s.id !== EMPTY_COUGH_SUBJECT && (s.labels.g === 'male' || s.labels.g === 'female'))
    // Only participants with sound in all three files, so the one bad participant is the only bad input.
    .filter((s) => ['cough', 'speech', 'breathing'].every((m) => s.recordings[m] && statSync(s.recordings[m]).size > 1024))
    .sort((a, b) => a.id.localeCompare(b.id));
  const chosen = [...complete.filter((s) => s.labels.g === 'female').slice(0, perClass), ...complete.filter((s) => s.labels.g === 'male').slice(0, perClass)];
  const rows = ['subject,label,modality,path'];
  for (const s of chosen) for (const m of ['cough', 'speech', 'breathing']) rows.push(`${s.id},${s.labels.g},${m},${copyInto(dir, s.id, s.recordings[m]!)}`);
  // All three of this participant's files are 44-byte headers; the import must report them and go on.
  for (const [m, f] of [['cough', 'cough-heavy.wav'], ['speech', 'counting-normal.wav'], ['breathing', 'breathing-deep.wav']]) {
    rows.push(`${EMPTY_COUGH_SUBJECT},female,${m},${copyInto(dir, EMPTY_COUGH_SUBJECT, join(COSWARA_DIR, EMPTY_COUGH_SUBJECT, f!))}`);
  }
  const file = join(dir, 'manifest.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}
