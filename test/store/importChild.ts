/**
 * The process the kill test kills: opens the store in the data dir given as argv[2], runs the startup
 * check, imports the Coswara batch of argv[3] participants and says 'done'. Not a test file itself.
 */
import { checkConsistency } from '../../src-main/store/consistency';
import { importRecordings } from '../../src-main/store/importRecordings';
import { openStore } from '../../src-main/store/store';
import { coswaraBatch } from './coswaraRefs';

const [dataDir, count] = process.argv.slice(2);
const store = openStore({ dataDir: dataDir! });
checkConsistency(store);
process.stdout.write('open\n');
const { refs, labels } = coswaraBatch(Number(count));
const report = await importRecordings(store, refs, labels);
store.close();
process.stdout.write(`done ${report.stored.length} ${report.failed.length}\n`);
