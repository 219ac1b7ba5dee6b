/**
 * Screenings made in this app, seen as data to learn from: each stored result names the takes (or files)
 * it screened, so once someone adds the true label the session's recordings can be imported into the
 * local store like any labelled participant. Nothing here leaves the data folder.
 */
import { existsSync } from 'node:fs';
import type { RecordingRef } from '../audio/importReport';
import type { ResultStore } from './resultStore';
import type { TakeStore } from './takeStore';

export interface SessionRecording {
  readonly modality: string;
  /** Where the audio is now: the app's copy of the take, or the file that was screened. */
  readonly path: string;
  /** The name the person knows it by. */
  readonly source: string;
  readonly available: boolean;
  /** Why it was not used at screening time (empty, unreadable…), if it was not. */
  readonly problem?: string;
}

export interface RecordedSession {
  readonly screeningId: string;
  readonly createdAt: string;
  readonly subjectCode?: string;
  /** The participant code the session is stored under: its subject code, or one made from its id. */
  readonly subject: string;
  readonly model: { readonly id: string; readonly name: string };
  /** What the model said at the time; shown beside the label field, never used as the label. */
  readonly predicted: string;
  readonly confidence: number;
  readonly recordings: readonly SessionRecording[];
}

/** Sessions without a subject code are one participant each; sessions sharing a code are the same person. */
export function sessionSubject(screeningId: string, subjectCode: string | undefined): string {
  return subjectCode ?? `session-${screeningId.slice(0, 8)}`;
}

export async function recordedSessions(results: ResultStore, takes: TakeStore): Promise<{ sessions: RecordedSession[]; problems: { file: string; message: string }[] }> {
  const { results: all, problems } = await results.list();
  const sessions = all.map((r): RecordedSession => {
    const recordings = r.modalities.flatMap((m): SessionRecording[] => {
      const path = m.takeId ? takes.wavPath(m.takeId) : m.file;
      if (!path) return [];
      return [{ modality: m.name, path, source: m.source ?? path, available: existsSync(path), ...(m.reason ? { problem: m.reason } : {}) }];
    });
    return {
      screeningId: r.screeningId,
      createdAt: r.createdAt,
      ...(r.subjectCode ? { subjectCode: r.subjectCode } : {}),
      subject: sessionSubject(r.screeningId, r.subjectCode),
      model: { id: r.model.id, name: r.model.name },
      predicted: r.label,
      confidence: r.confidence,
      recordings,
    };
  });
  return { sessions, problems };
}

export class SessionLabelError extends Error {
  override readonly name = 'SessionLabelError';
}

/**
 * Labelled sessions → what the store import takes: one recording reference per take and the label per
 * participant. Two sessions of the same participant with different labels are refused, naming both,
 * because a participant can only have one value per label column.
 */
export function sessionImport(
  sessions: readonly RecordedSession[],
  labelled: readonly { readonly screeningId: string; readonly value: string }[],
  labelColumn: string,
): { refs: RecordingRef[]; labels: Record<string, Record<string, string>>; subjects: string[] } {
  const byId = new Map(sessions.map((s) => [s.screeningId, s]));
  const labelOf = new Map<string, { value: string; screeningId: string }>();
  const refs: RecordingRef[] = [];
  for (const { screeningId, value } of labelled) {
    const s = byId.get(screeningId);
    if (!s) throw new SessionLabelError(`no screening session '${screeningId}' on this machine`);
    const earlier = labelOf.get(s.subject);
    if (earlier && earlier.value !== value) {
      throw new SessionLabelError(`participant ${s.subject} is labelled '${earlier.value}' in session ${earlier.screeningId} and '${value}' in session ${screeningId}; give both the same ${labelColumn}`);
    }
    labelOf.set(s.subject, { value, screeningId });
    for (const r of s.recordings) refs.push({ path: r.path, subject: s.subject, modality: r.modality });
  }
  const labels = Object.fromEntries([...labelOf].map(([subject, { value }]) => [subject, { [labelColumn]: value }]));
  return { refs, labels, subjects: [...labelOf.keys()].sort() };
}
