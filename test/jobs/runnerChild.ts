/**
 * The app process the resume test kills: opens the store in argv[2], submits the job spec in the JSON file
 * argv[3] and prints each checkpoint as `checkpoint <job> <epochsDone>`. Not a test file itself.
 */
import { readFileSync } from 'node:fs';
import { JobRunner } from '../../src-main/jobs/jobRunner';
import type { JobSpec } from '../../src-main/jobs/jobSpec';
import { openStore } from '../../src-main/store/store';

const [dataDir, specFile] = process.argv.slice(2);
const store = openStore({ dataDir: dataDir! });
const runner = new JobRunner(store);
runner.start();
runner.subscribe((e) => {
  if (e.type === 'checkpoint') process.stdout.write(`checkpoint ${e.jobId} ${e.checkpoint.epochsDone}\n`);
});
const id = runner.submit(JSON.parse(readFileSync(specFile!, 'utf8')) as JobSpec);
process.stdout.write(`submitted ${id}\n`);
