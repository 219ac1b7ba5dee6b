import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared Coswara batch lives relative to this repository. Tests that need it skip with this
 * reason when it is absent (e.g. a fresh clone without the shared data folder).
 */
export const COSWARA_DIR = fileURLToPath(new URL('../../../shared/data/coswara-20200413', import.meta.url));
export const coswaraSkip: string | false = existsSync(COSWARA_DIR) ? false : `real data set not found at ${COSWARA_DIR}`;
if (coswaraSkip) console.log(`# skipping real-data tests: ${coswaraSkip}`);
