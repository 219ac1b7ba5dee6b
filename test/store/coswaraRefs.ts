import type { RecordingRef } from '../../src-main/audio/importReport';
import { openDataset } from '../../src-main/datasets/openDataset';
import { recordingRefs } from '../../src-main/datasets/dataset';
import type { SubjectLabels } from '../../src-main/store/labels';
import { COSWARA_DIR } from '../audio/coswaraFixture';

/** The participants whose recordings are all 44-byte headers with no samples, in the shared batch. */
export const EMPTY_SUBJECTS = ['9XKj7fAmvwPUas9GFPZuTpev7T03', 'TRK6gUseEUS7dbF0soG80W1uLm53'];

/**
 * Import references and gender labels for the first `count` Coswara participants (sorted by id) plus the
 * two whose files are empty, so every batch has real bad input in it.
 */
export function coswaraBatch(count: number): { refs: RecordingRef[]; labels: SubjectLabels } {
  const dataset = openDataset(COSWARA_DIR);
  const ids = [...dataset.subjects.map((s) => s.id).filter((id) => !EMPTY_SUBJECTS.includes(id)).sort().slice(0, count), ...EMPTY_SUBJECTS];
  const chosen = new Set(ids);
  const subjects = dataset.subjects.filter((s) => chosen.has(s.id));
  const refs = recordingRefs({ ...dataset, subjects });
  const labels = Object.fromEntries(subjects.map((s) => [s.id, { g: s.labels.g ?? 'unknown' }]));
  return { refs, labels };
}
