/**
 * Participants and their labels. A subject is an anonymous code; a label is one value per subject and
 * label column (e.g. covid_status), remembered with who set it and when, so a retrained model can say
 * whose labels it learned from.
 */
import { nowIso, type Store } from './store';

/** subject code → label column → value. */
export type SubjectLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface LabelRow {
  readonly subject: string;
  readonly labelColumn: string;
  readonly value: string;
  readonly setBy: string;
  readonly setAt: string;
}

export function ensureSubject(store: Store, code: string): void {
  if (!code.trim()) throw new Error('a subject code must not be empty');
  store.db.prepare('INSERT INTO subjects (code, created_at) VALUES (?, ?) ON CONFLICT(code) DO NOTHING').run(code, nowIso());
}

/** Sets labels; an unchanged value keeps its original author and time. */
export function setLabels(store: Store, subject: string, values: Readonly<Record<string, string>>, setBy: string): void {
  const upsert = store.db.prepare(
    `INSERT INTO labels (subject, label_column, value, set_by, set_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(subject, label_column) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at
     WHERE labels.value <> excluded.value`,
  );
  const at = nowIso();
  for (const [column, value] of Object.entries(values)) upsert.run(subject, column, value, setBy, at);
}

export function labelsOf(store: Store, subject: string): LabelRow[] {
  return store.db
    .prepare('SELECT subject, label_column AS labelColumn, value, set_by AS setBy, set_at AS setAt FROM labels WHERE subject = ? ORDER BY label_column')
    .all(subject) as LabelRow[];
}
