import { dirname, resolve } from 'node:path';
import { InputFileError, readInputTextSync } from '../storage/inputFile';
import { parseCsv } from './csvTable';
import { modalitiesOf, type Dataset, type DatasetProblem, type DatasetSubject } from './dataset';
import { manifestRecordingPath } from './datasetEntries';
import { DatasetError } from './datasetError';

const REQUIRED = ['subject', 'label', 'modality', 'path'] as const;

/**
 * A user's own data described by a CSV manifest, one row per recording: `subject,label,modality,path`.
 * Each path is relative to the manifest and must stay inside its folder: a manifest is written by someone
 * else, and a row naming `/home/…/.ssh/id_rsa` or `../../other-clinic/` must not pull that file into the
 * store. Such rows are refused one by one, as problems; the other rows still load. Any further columns
 * (age, site, …) become label columns too.
 */
export function loadManifest(manifestArg: string): Dataset {
  const manifest = resolve(manifestArg);
  let text: string;
  try {
    text = readInputTextSync(manifest, { kind: 'manifest' });
  } catch (e) {
    if (e instanceof InputFileError) throw new DatasetError(manifest, `cannot read the manifest: ${e.detail}`);
    throw e;
  }
  const table = parseCsv(text);
  const missing = REQUIRED.filter((c) => !table.header.includes(c));
  if (missing.length) throw new DatasetError(manifest, `the manifest header lacks ${missing.join(', ')} (expected columns: ${REQUIRED.join(',')})`);
  const base = dirname(manifest);
  const problems: DatasetProblem[] = [];
  const bySubject = new Map<string, { labels: Record<string, string>; recordings: Record<string, string> }>();
  table.rows.forEach((row, i) => {
    const line = i + 2;
    const subject = row.subject!;
    const modality = row.modality!;
    if (!subject || !modality || !row.path) {
      problems.push({ path: manifest, message: `line ${line}: subject, modality and path must not be empty` });
      return;
    }
    const named = manifestRecordingPath(base, row.path);
    if ('problem' in named) {
      problems.push({ subject, modality, path: manifest, message: `line ${line}: ${named.problem}; the row is skipped` });
      return;
    }
    const entry = bySubject.get(subject) ?? { labels: {}, recordings: {} };
    bySubject.set(subject, entry);
    for (const column of table.header) {
      if (column === 'subject' || column === 'modality' || column === 'path') continue;
      const value = row[column] ?? '';
      if (value === '') continue;
      const previous = entry.labels[column];
      if (previous !== undefined && previous !== value) {
        problems.push({ subject, path: manifest, message: `line ${line}: ${column} "${value}" contradicts "${previous}" given earlier for this subject` });
      } else entry.labels[column] = value;
    }
    const { path } = named;
    if (entry.recordings[modality]) problems.push({ subject, modality, path, message: `line ${line}: a second ${modality} recording for this subject (the first is kept)` });
    else entry.recordings[modality] = path;
  });
  const subjects: DatasetSubject[] = [...bySubject].map(([id, e]) => ({ id, labels: e.labels, recordings: e.recordings }));
  const labelColumns = table.header.filter((c) => !['subject', 'modality', 'path'].includes(c));
  return { root: base, layout: 'manifest', subjects, modalities: modalitiesOf(subjects), labelColumns, problems };
}
