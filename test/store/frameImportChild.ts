/**
 * The process the frame kill test kills: opens the store in the data dir given as argv[2], runs the
 * startup check, imports the labelled frame set in argv[3] and says 'done'. Not a test file itself.
 */
import { checkConsistency } from '../../src-main/store/consistency';
import { importFrames } from '../../src-main/store/importFrames';
import { openStore } from '../../src-main/store/store';

const [dataDir, setDir] = process.argv.slice(2);
const store = openStore({ dataDir: dataDir! });
checkConsistency(store);
process.stdout.write('open\n');
const report = await importFrames(store, setDir!);
store.close();
process.stdout.write(`done ${report.stored.length} ${report.failed.length}\n`);
