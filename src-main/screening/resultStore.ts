import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { screeningResultSchema, type ScreeningResult } from '../api/contract';
import { writeFileAtomic } from '../storage/atomicFile';

/**
 * Results are kept in the data folder so the report is made from what the model said, not from whatever
 * a caller sends back; exporting a session names a result by its id.
 */
export class ResultStore {
  constructor(readonly dir: string) {}

  save(result: ScreeningResult): void {
    writeFileAtomic(join(this.dir, `${result.screeningId}.json`), JSON.stringify(result, null, 2));
  }

  async load(screeningId: string): Promise<ScreeningResult | undefined> {
    const path = join(this.dir, `${screeningId}.json`);
    if (!existsSync(path)) return undefined;
    return screeningResultSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  }
}
