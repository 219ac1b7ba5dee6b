/**
 * The app process the retrain resume test kills: real services on the data folder argv[2], imports the
 * manifest argv[3], starts a retrain and prints `run <id>` and then `epoch <n>` for each teacher epoch.
 * Not a test file itself.
 */
import { join } from 'node:path';
import { dispatch } from '../../src-main/api/dispatch';
import { EventBus } from '../../src-main/api/eventBus';
import { createServices } from '../../src-main/api/services';
import { repoRoot } from '../../src-main/storage/appPaths';

const [dataDir, manifest, epochs] = process.argv.slice(2);
const resourcesDir = join(repoRoot, 'resources');
const events = new EventBus();
const services = createServices({ paths: { dataDir: dataDir!, resourcesDir, bundledModelsDir: join(resourcesDir, 'models'), userModelsDir: join(dataDir!, 'models') }, transport: 'bridge', events, version: 'test' });
events.subscribe((e, p) => {
  if (e === 'retrain.progress') process.stdout.write(`epoch ${(p as { curves: Record<string, unknown[]> }).curves.teacher?.length ?? 0}\n`);
});
const imported = await dispatch(services, 'retrain.import', { source: manifest, name: 'clinic' });
if (!imported.ok) throw new Error(imported.error.message);
const tiny = { widthMultiplier: 0.25, depth: 2, kernelSize: 3, denseUnits: 0 };
const started = await dispatch(services, 'retrain.start', { datasetName: 'clinic', labelColumn: 'label', target: 'gap8:l2', options: { epochs: Number(epochs), qatEpochs: 0, teacher: { ...tiny, denseUnits: 8 }, students: [tiny] } });
if (!started.ok) throw new Error(started.error.message);
process.stdout.write(`run ${(started.result as { runId: string }).runId}\n`);
