import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApiResponse } from '../../src-main/api/contract';
import { dispatch, type ServiceHandlers } from '../../src-main/api/dispatch';
import { openDataset } from '../../src-main/datasets/openDataset';
import { screeningFolders } from '../../src-main/screening/screeningFolders';
import { COSWARA_DIR, coswaraSkip } from '../audio/coswaraFixture';
import { EMPTY_COUGH_SUBJECT } from './retrainManifest';
import { testServices, type TestServices } from './testServices';

const MODALITIES = ['cough', 'speech', 'breathing'] as const;

describe('Retrain from sessions recorded in the app', { skip: coswaraSkip }, () => {
  let dir: string;
  let dataDir: string;
  let services: ServiceHandlers;
  let call: TestServices['call'];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinym2-retrain-sessions-'));
    ({ services, dataDir, call } = testServices(dir));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Screens one participant the way the Screen page does: upload each file as a take, then classify the takes. */
  async function screenAsTakes(files: Record<string, string>, subjectCode?: string): Promise<ApiResponse<'screen.classifyTakes'>> {
    const takes: Record<string, string> = {};
    for (const [modality, file] of Object.entries(files)) {
      const report = await call('screen.uploadRecording', { modality, fileName: basename(file), base64: readFileSync(file).toString('base64') });
      takes[modality] = report.takeId;
    }
    return call('screen.classifyTakes', { modelId: 'coswara-gender-audio', takes, ...(subjectCode ? { subjectCode } : {}) });
  }

  test('screened sessions are listed, labelled, imported into the store and become a trainable data set', async () => {
    const people = openDataset(COSWARA_DIR)
      .subjects.filter((s) => s.id !== EMPTY_COUGH_SUBJECT && (s.labels.g === 'male' || s.labels.g === 'female'))
      .filter((s) => MODALITIES.every((m) => s.recordings[m] && statSync(s.recordings[m]).size > 1024))
      .sort((a, b) => a.id.localeCompare(b.id));
    const chosen = [...people.filter((s) => s.labels.g === 'female').slice(0, 6), ...people.filter((s) => s.labels.g === 'male').slice(0, 6)];
    const truth = new Map<string, string>();
    // Ten participants screened from takes (two of them without a subject code), one screened twice
    // under the same code, one screened straight from files on disk.
    for (const [i, s] of chosen.entries()) {
      const files = Object.fromEntries(MODALITIES.map((m) => [m, s.recordings[m]!]));
      const code = i < 2 ? undefined : `P${String(i).padStart(3, '0')}`;
      const result = i === 11 ? await call('screen.classifyFiles', { modelId: 'coswara-gender-audio', recordings: files, subjectCode: code }) : await screenAsTakes(files, code);
      truth.set(result.screeningId, s.labels.g!);
      if (i < 11) assert.ok(result.modalities.every((m) => m.takeId && !m.file), 'a screening of takes names its takes');
      else assert.ok(result.modalities.every((m) => m.file && !m.takeId), 'a screening of files names its files');
    }
    const again = await screenAsTakes({ cough: chosen[5]!.recordings.cough! }, 'P005');
    truth.set(again.screeningId, chosen[5]!.labels.g!);
    // A take that is only a header: screened on the others, and named when imported.
    const emptyCough = join(COSWARA_DIR, EMPTY_COUGH_SUBJECT, 'cough-heavy.wav');
    const withEmpty = await screenAsTakes({ cough: emptyCough, speech: chosen[0]!.recordings.speech! }, 'P900');

    const listed = await call('retrain.sessions', {});
    assert.equal(listed.sessions.length, 14);
    assert.deepEqual(listed.problems, []);
    const sorted = [...listed.sessions].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    assert.deepEqual(listed.sessions.map((s) => s.screeningId), sorted.map((s) => s.screeningId), 'newest first');
    const anonymous = listed.sessions.filter((s) => !s.subjectCode);
    assert.equal(anonymous.length, 2);
    assert.ok(anonymous.every((s) => /^session-[0-9a-f]{8}$/.test(s.subject)), 'a session without a code is a participant of its own');
    assert.equal(listed.sessions.filter((s) => s.subject === 'P005').length, 2, 'sessions under one code are one participant');
    const emptySession = listed.sessions.find((s) => s.screeningId === withEmpty.screeningId)!;
    assert.match(emptySession.recordings.find((r) => r.modality === 'cough')!.problem ?? '', /empty|no samples|cough-heavy/);
    assert.ok(listed.sessions.every((s) => s.modelId === 'coswara-gender-audio' && ['male', 'female'].includes(s.predicted)));

    // One line of validation per field: an unknown session, contradicting labels for one participant, a bad value.
    const unknown = await dispatch(services, 'retrain.importSessions', { labelColumn: 'sex', sessions: [{ screeningId: '00000000-0000-4000-8000-000000000000', value: 'male' }] });
    assert.ok(!unknown.ok && /field 'sessions'.*no screening session '00000000/.test(unknown.error.message), !unknown.ok ? unknown.error.message : '');
    const p005 = listed.sessions.filter((s) => s.subject === 'P005').map((s) => s.screeningId);
    const contradiction = await dispatch(services, 'retrain.importSessions', { labelColumn: 'sex', sessions: [{ screeningId: p005[0]!, value: 'male' }, { screeningId: p005[1]!, value: 'female' }] });
    assert.ok(!contradiction.ok && /participant P005 is labelled 'male'.*'female'/.test(contradiction.error.message), !contradiction.ok ? contradiction.error.message : '');
    const comma = await dispatch(services, 'retrain.importSessions', { labelColumn: 'sex', sessions: [{ screeningId: p005[0]!, value: 'a,b' }] });
    assert.ok(!comma.ok && comma.error.field?.startsWith('sessions'));

    // A take deleted from the data folder since its screening: reported, the import carries on.
    const lost = listed.sessions.find((s) => s.subject === 'P003')!;
    const lostResult = JSON.parse(readFileSync(join(screeningFolders(dataDir).results, `${lost.screeningId}.json`), 'utf8')) as ApiResponse<'screen.classifyTakes'>;
    const lostTake = lostResult.modalities.find((m) => m.name === 'breathing')!.takeId!;
    unlinkSync(join(screeningFolders(dataDir).takes, `${lostTake}.wav`));
    const relisted = await call('retrain.sessions', {});
    assert.equal(relisted.sessions.find((s) => s.subject === 'P003')!.recordings.find((r) => r.modality === 'breathing')!.available, false);

    const labelled = [...truth].map(([screeningId, value]) => ({ screeningId, value }));
    const report = await call('retrain.importSessions', { labelColumn: 'sex', sessions: [...labelled, { screeningId: withEmpty.screeningId, value: 'female' }], name: 'clinic-sessions' });
    assert.equal(report.datasetName, 'clinic-sessions');
    assert.equal(report.layout, 'screening sessions');
    assert.deepEqual(report.labelColumns, ['sex']);
    assert.equal(report.recordings, 12 * 3 + 1 + 2);
    assert.deepEqual(report.failed.map((f) => `${f.subject}/${f.modality}/${f.reason}`).sort(), ['P003/breathing/unreadable', `P900/cough/${report.failed.find((f) => f.subject === 'P900')!.reason}`]);
    assert.ok(['empty', 'truncated'].includes(report.failed.find((f) => f.subject === 'P900')!.reason));
    assert.match(report.failed.find((f) => f.subject === 'P003')!.message, /does not exist/);
    // P005's second session repeats a file already stored for them: no second row.
    assert.equal(report.stored, 12 * 3 - 1 + 1 + 1);
    assert.equal(report.participants, 13);

    const review = await call('retrain.review', { datasetName: 'clinic-sessions', labelColumn: 'sex' });
    assert.deepEqual(review.labelCounts, { female: 7, male: 6 });
    assert.equal(review.trainable, true, review.warnings.join('; '));
    assert.ok(review.split && review.split.heldOut.length > 0 && review.split.heldOut.every((s) => !review.split!.train.includes(s)));

    // Importing the same labelled sessions again stores nothing new.
    const twice = await call('retrain.importSessions', { labelColumn: 'sex', sessions: labelled, name: 'clinic-sessions-2' });
    assert.equal(twice.participants, 12);
    const db = (await import('better-sqlite3')).default(join(dataDir, 'store.sqlite'), { readonly: true });
    try {
      const rows = (db.prepare('SELECT COUNT(*) AS n FROM recordings').get() as { n: number }).n;
      // One row per participant, modality and distinct file: P005's repeated cough is stored once.
      assert.equal(rows, report.stored - 1);
    } finally {
      db.close();
    }
  });
});
