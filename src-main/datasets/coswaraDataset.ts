import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCsv } from './csvTable';
import { modalitiesOf, type Dataset, type DatasetProblem, type DatasetSubject } from './dataset';
import { DatasetError } from './datasetError';

/**
 * The Coswara recordings a screening uses, by file name. Other Coswara recordings (cough-shallow,
 * vowel-a, …) keep their file name as the modality so nothing is silently dropped.
 */
export const COSWARA_MODALITY_FILES: Readonly<Record<string, string>> = {
  'cough-heavy': 'cough',
  'counting-normal': 'speech',
  'breathing-deep': 'breathing',
};

/** True when the folder looks like a Coswara batch: participant folders holding metadata.json. */
export function looksLikeCoswara(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && existsSync(join(dir, e.name, 'metadata.json')));
}

function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value ? 'True' : 'False'; // as the batch CSV spells them
  return String(value);
}

/**
 * Loads `<id>/<recording>.wav` + `<id>/metadata.json`, the batch CSV (`YYYYMMDD.csv`) and `split.csv`.
 * Labels merge all three: per-participant JSON, then the batch CSV for columns the JSON lacks, then the
 * fixed split as a `split` column. Disagreements between the sources are reported, not hidden.
 */
export function loadCoswara(dirArg: string): Dataset {
  const root = resolve(dirArg);
  if (!looksLikeCoswara(root)) throw new DatasetError(root, 'not a Coswara folder (no <participant>/metadata.json found)');
  const problems: DatasetProblem[] = [];
  const entries = readdirSync(root, { withFileTypes: true });

  const batchRows = new Map<string, Readonly<Record<string, string>>>();
  for (const e of entries) {
    if (e.isFile() && /^\d{8}\.csv$/.test(e.name)) {
      for (const row of parseCsv(readFileSync(join(root, e.name), 'utf8')).rows) if (row.id) batchRows.set(row.id, row);
    }
  }
  const splits = new Map<string, string>();
  if (existsSync(join(root, 'split.csv'))) {
    for (const row of parseCsv(readFileSync(join(root, 'split.csv'), 'utf8')).rows) if (row.id && row.split) splits.set(row.id, row.split);
  }

  const subjects: DatasetSubject[] = [];
  const columns = new Set<string>();
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const id = e.name;
    const dir = join(root, id);
    const labels: Record<string, string> = {};
    const metaPath = join(dir, 'metadata.json');
    if (existsSync(metaPath)) {
      try {
        const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
        for (const [k, v] of Object.entries(meta)) {
          const t = textOf(v);
          if (t !== undefined && k !== 'id') labels[k] = t;
        }
      } catch (err) {
        problems.push({ subject: id, path: metaPath, message: `metadata.json is not valid JSON (${err instanceof Error ? err.message : String(err)})` });
      }
    } else {
      problems.push({ subject: id, path: metaPath, message: 'no metadata.json: labels come from the batch CSV only' });
    }
    const row = batchRows.get(id);
    if (!row) problems.push({ subject: id, message: 'participant missing from the batch CSV' });
    for (const [k, v] of Object.entries(row ?? {})) {
      if (k === 'id' || v === '') continue;
      if (labels[k] === undefined) labels[k] = v;
      else if (labels[k] !== v && !(Number(labels[k]) === Number(v) && v.trim() !== '')) {
        problems.push({ subject: id, message: `"${k}" is "${labels[k]}" in metadata.json but "${v}" in the batch CSV` });
      }
    }
    const split = splits.get(id);
    if (split) labels.split = split;
    for (const k of Object.keys(labels)) columns.add(k);

    const recordings: Record<string, string> = {};
    for (const f of readdirSync(dir)) {
      if (!f.toLowerCase().endsWith('.wav')) continue;
      const stem = f.slice(0, -4);
      recordings[COSWARA_MODALITY_FILES[stem] ?? stem] = join(dir, f);
    }
    for (const [file, modality] of Object.entries(COSWARA_MODALITY_FILES)) {
      if (!recordings[modality]) problems.push({ subject: id, modality, path: join(dir, `${file}.wav`), message: `no ${file}.wav (${modality}) recording` });
    }
    subjects.push({ id, labels, recordings });
  }
  const known = new Set(subjects.map((s) => s.id));
  for (const id of splits.keys()) if (!known.has(id)) problems.push({ subject: id, message: 'listed in split.csv but has no folder' });
  for (const id of batchRows.keys()) if (!known.has(id)) problems.push({ subject: id, message: 'listed in the batch CSV but has no folder' });

  const preferred = ['covid_status', 'g', 'split'].filter((c) => columns.has(c));
  const labelColumns = [...preferred, ...[...columns].filter((c) => !preferred.includes(c)).sort()];
  const canonical = Object.values(COSWARA_MODALITY_FILES);
  const modalities = [...canonical, ...modalitiesOf(subjects).filter((m) => !canonical.includes(m))];
  return { root, layout: 'coswara', subjects, modalities, labelColumns, problems };
}
