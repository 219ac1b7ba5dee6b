import { readdirSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { modalitiesOf, type Dataset, type DatasetProblem, type DatasetSubject } from './dataset';
import { linkProblem, recordingEntryProblem } from './datasetEntries';
import { DatasetError } from './datasetError';

/**
 * A user's own data as folders, `<label>/<subject>/<modality>.wav`: the layout people make by hand when
 * they sort recordings into "healthy" and "sick". The label column is called `label`. Symbolic links
 * (to folders or files) are reported, never followed; devices and pipes named `.wav` are skipped.
 */
export function loadFolders(rootArg: string): Dataset {
  const root = resolve(rootArg);
  let top: Dirent[];
  try {
    top = readdirSync(root, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  } catch (e) {
    throw new DatasetError(root, `cannot read the folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const problems: DatasetProblem[] = [];
  for (const e of top) {
    const linked = linkProblem(e);
    if (linked) problems.push({ path: join(root, e.name), message: `${e.name} ${linked}` });
  }
  const labelDirs = top.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const subjects: DatasetSubject[] = [];
  const seen = new Map<string, string>();
  for (const label of labelDirs) {
    for (const s of readdirSync(join(root, label), { withFileTypes: true })) {
      const where = join(root, label, s.name);
      const linked = linkProblem(s);
      if (linked) {
        problems.push({ path: where, message: `${label}/${s.name} ${linked}` });
        continue;
      }
      if (!s.isDirectory()) {
        if (s.name.toLowerCase().endsWith('.wav')) problems.push({ path: where, message: 'a WAV directly under a label folder; expected <label>/<subject>/<modality>.wav' });
        continue;
      }
      const other = seen.get(s.name);
      if (other !== undefined) {
        problems.push({ subject: s.name, path: where, message: `subject also appears under "${other}"; kept there only` });
        continue;
      }
      seen.set(s.name, label);
      const recordings: Record<string, string> = {};
      for (const f of readdirSync(where, { withFileTypes: true })) {
        if (!f.name.toLowerCase().endsWith('.wav')) continue;
        const refused = recordingEntryProblem(f);
        if (refused) problems.push({ subject: s.name, path: join(where, f.name), message: `${f.name} ${refused}` });
        else recordings[f.name.slice(0, -4)] = join(where, f.name);
      }
      if (Object.keys(recordings).length === 0) {
        problems.push({ subject: s.name, path: where, message: 'subject folder holds no .wav files' });
        continue;
      }
      subjects.push({ id: s.name, labels: { label }, recordings });
    }
  }
  if (subjects.length === 0) throw new DatasetError(root, 'no recordings found; expected <label>/<subject>/<modality>.wav or a manifest.csv');
  const modalities = modalitiesOf(subjects);
  for (const s of subjects) {
    for (const m of modalities) if (!s.recordings[m]) problems.push({ subject: s.id, modality: m, message: `no ${m}.wav recording` });
  }
  return { root, layout: 'folders', subjects, modalities, labelColumns: ['label'], problems };
}
