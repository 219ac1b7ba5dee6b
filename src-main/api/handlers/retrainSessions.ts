/**
 * The Retrain wizard's second source of data: screenings recorded in this app. A clinician screens, the
 * true answer becomes known later (a test result), an analyst adds it here, and the session's takes join
 * the local store as a labelled participant — copied within the data folder, never sent anywhere.
 */
import { saveDataset } from '../../store/datasets';
import type { RecordingRef } from '../../audio/importReport';
import { importRecordings } from '../../store/importRecordings';
import type { Store } from '../../store/store';
import { recordedSessions, SessionLabelError, sessionImport } from '../../screening/recordedSessions';
import { ResultStore } from '../../screening/resultStore';
import { screeningFolders } from '../../screening/screeningFolders';
import { TakeStore } from '../../screening/takeStore';
import type { ApiResponse } from '../contract';
import { ServiceError } from '../dispatch';
import type { retrainMethods } from '../methods/retrain';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

type ImportResponse = ApiResponse<'retrain.import'>;

/** A default data set name that sorts by time and says where the data came from. */
export function importedDatasetName(prefix: string): string {
  return `${prefix}-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
}

/** A store import as the wizard reports it; the data set holds every participant with at least one stored recording. */
export function storeImportResponse(
  store: Store,
  datasetName: string,
  labelColumn: string | undefined,
  source: { layout: string; recordings: number; labelColumns: readonly string[]; problems: ImportResponse['problems'] },
  report: {
    readonly stored: readonly { readonly ref: { readonly subject?: string } }[];
    readonly failed: readonly { readonly ref: RecordingRef; readonly reason: string; readonly message: string }[];
  },
): ImportResponse {
  const subjects = [...new Set(report.stored.map((s) => s.ref.subject!))].sort();
  if (subjects.length) saveDataset(store, datasetName, subjects, labelColumn);
  return {
    datasetName,
    layout: source.layout,
    participants: subjects.length,
    recordings: source.recordings,
    stored: report.stored.length,
    labelColumns: [...source.labelColumns],
    failed: report.failed.map((f) => ({ subject: f.ref.subject ?? '', modality: f.ref.modality ?? '', path: f.ref.path, reason: f.reason, message: f.message })),
    problems: source.problems,
  };
}

export function createRetrainSessionHandlers(
  ctx: ServiceContext,
  openStore: () => Store,
): Pick<GroupHandlers<typeof retrainMethods>, 'retrain.sessions' | 'retrain.importSessions'> {
  const folders = screeningFolders(ctx.paths.dataDir);
  const list = () => recordedSessions(new ResultStore(folders.results), new TakeStore(folders.takes));

  return {
    'retrain.sessions': async () => {
      const { sessions, problems } = await list();
      return {
        sessions: sessions.map((s) => ({
          screeningId: s.screeningId,
          createdAt: s.createdAt,
          ...(s.subjectCode ? { subjectCode: s.subjectCode } : {}),
          subject: s.subject,
          modelId: s.model.id,
          predicted: s.predicted,
          confidence: s.confidence,
          recordings: s.recordings.map((r) => ({ modality: r.modality, source: r.source, available: r.available, ...(r.problem ? { problem: r.problem } : {}) })),
        })),
        problems,
      };
    },

    'retrain.importSessions': async ({ labelColumn, sessions: labelled, name }) => {
      const { sessions, problems } = await list();
      let plan: ReturnType<typeof sessionImport>;
      try {
        plan = sessionImport(sessions, labelled, labelColumn);
      } catch (e) {
        if (e instanceof SessionLabelError) throw new ServiceError(`field 'sessions': ${e.message}`);
        throw e;
      }
      const store = openStore();
      const report = await importRecordings(store, plan.refs, plan.labels, { labelledBy: 'screening-session' });
      return storeImportResponse(
        store,
        name ?? importedDatasetName('sessions'),
        labelColumn,
        { layout: 'screening sessions', recordings: plan.refs.length, labelColumns: [labelColumn], problems: problems.map((p) => ({ path: p.file, message: p.message })) },
        report,
      );
    },
  };
}
