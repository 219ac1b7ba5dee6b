import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseCsv } from './csvTable';
import { modalitiesOf, type Dataset, type DatasetProblem, type DatasetSubject } from './dataset';
import { DatasetError } from './datasetError';

const REQUIRED = ['subject', 'label', 'modality', 'path'] as const;

/**
 * A user's own data described by a CSV manifest, one row per recording: `subject,label,modality,path`
 * (paths relative to the manifest). Any further columns (age, site, …) become label columns too.
 */
export function loadManifest(manifestArg: string): Dataset {
  const manifest = resolve(manifestArg);
  let text: string;
  try {
    text = readFileSync(manifest, 'utf8');
  } catch (e) {
    throw new DatasetError(manifest, `cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
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
    const path = isAbsolute(row.path) ? row.path : join(base, row.path);
    if (entry.recordings[modality]) problems.push({ subject, modality, path, message: `line ${line}: a second ${modality} recording for this subject (the first is kept)` });
    else entry.recordings[modality] = path;
  });
  const subjects: DatasetSubject[] = [...bySubject].map(([id, e]) => ({ id, labels: e.labels, recordings: e.recordings }));
  const labelColumns = table.header.filter((c) => !['subject', 'modality', 'path'].includes(c));
  return { root: base, layout: 'manifest', subjects, modalities: modalitiesOf(subjects), labelColumns, problems };
}
