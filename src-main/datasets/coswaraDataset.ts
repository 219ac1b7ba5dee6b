import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputFileError } from '../storage/inputFile';
import { parseCsv, type CsvTable } from './csvTable';
import { modalitiesOf, type Dataset, type DatasetProblem, type DatasetSubject } from './dataset';
import { linkProblem, readDatasetText, recordingEntryProblem } from './datasetEntries';
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

/** A CSV of the batch folder, or undefined (with the problem reported) when it is a link or cannot be read. */
function batchTable(entry: Dirent, root: string, problems: DatasetProblem[]): CsvTable | undefined {
  const path = join(root, entry.name);
  const linked = linkProblem(entry);
  if (linked) {
    problems.push({ path, message: `${entry.name} ${linked}` });
    return undefined;
  }
  try {
    return parseCsv(readDatasetText(path, 'metadata table'));
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    problems.push({ path, message: `${entry.name} is not read: ${e.detail}` });
    return undefined;
  }
}

/** A participant's metadata.json as label values; its problems (missing, a link, too large, not JSON) are reported. */
function participantLabels(id: string, metaPath: string, problems: DatasetProblem[]): Record<string, string> {
  const labels: Record<string, string> = {};
  let text: string;
  try {
    text = readDatasetText(metaPath, 'metadata file');
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const message = e.reason === 'missing' ? 'no metadata.json: labels come from the batch CSV only' : `metadata.json is not read: ${e.detail}`;
    problems.push({ subject: id, path: metaPath, message });
    return labels;
  }
  try {
    const meta = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(meta)) {
      const t = textOf(v);
      if (t !== undefined && k !== 'id') labels[k] = t;
    }
  } catch (err) {
    problems.push({ subject: id, path: metaPath, message: `metadata.json is not valid JSON (${err instanceof Error ? err.message : String(err)})` });
  }
  return labels;
}

/**
 * Loads `<id>/<recording>.wav` + `<id>/metadata.json`, the batch CSV (`YYYYMMDD.csv`) and `split.csv`.
 * Labels merge all three: per-participant JSON, then the batch CSV for columns the JSON lacks, then the
 * fixed split as a `split` column. Disagreements between the sources are reported, not hidden. Symbolic
 * links (participant folders, recordings, metadata) are reported and never followed; devices and pipes
 * named `.wav` are skipped.
 */
export function loadCoswara(dirArg: string): Dataset {
  const root = resolve(dirArg);
  if (!looksLikeCoswara(root)) throw new DatasetError(root, 'not a Coswara folder (no <participant>/metadata.json found)');
  const problems: DatasetProblem[] = [];
  const entries = readdirSync(root, { withFileTypes: true });

  const batchRows = new Map<string, Readonly<Record<string, string>>>();
  const splits = new Map<string, string>();
  for (const e of entries) {
    if (/^\d{8}\.csv$/.test(e.name)) {
      for (const row of batchTable(e, root, problems)?.rows ?? []) if (row.id) batchRows.set(row.id, row);
    } else if (e.name === 'split.csv') {
      for (const row of batchTable(e, root, problems)?.rows ?? []) if (row.id && row.split) splits.set(row.id, row.split);
    } else if (!e.name.startsWith('.')) {
      const linked = linkProblem(e);
      if (linked) problems.push({ path: join(root, e.name), message: `${e.name} ${linked}` });
    }
  }

  const subjects: DatasetSubject[] = [];
  const columns = new Set<string>();
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const id = e.name;
    const dir = join(root, id);
    const labels = participantLabels(id, join(dir, 'metadata.json'), problems);
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
    const refused = new Set<string>();
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      if (!f.name.toLowerCase().endsWith('.wav')) continue;
      const stem = f.name.slice(0, -4);
      const modality = COSWARA_MODALITY_FILES[stem] ?? stem;
      const problem = recordingEntryProblem(f);
      if (problem) {
        problems.push({ subject: id, modality, path: join(dir, f.name), message: `${f.name} ${problem}` });
        refused.add(modality);
      } else recordings[modality] = join(dir, f.name);
    }
    for (const [file, modality] of Object.entries(COSWARA_MODALITY_FILES)) {
      if (!recordings[modality] && !refused.has(modality)) problems.push({ subject: id, modality, path: join(dir, `${file}.wav`), message: `no ${file}.wav (${modality}) recording` });
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
