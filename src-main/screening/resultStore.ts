import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
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

  /** Every stored result, newest first; a file that does not parse is named, not fatal. */
  async list(): Promise<{ results: ScreeningResult[]; problems: { file: string; message: string }[] }> {
    if (!existsSync(this.dir)) return { results: [], problems: [] };
    const results: ScreeningResult[] = [];
    const problems: { file: string; message: string }[] = [];
    for (const name of (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort()) {
      const file = join(this.dir, name);
      try {
        results.push(screeningResultSchema.parse(JSON.parse(await readFile(file, 'utf8'))));
      } catch (e) {
        problems.push({ file, message: `${file}: not a screening result (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` });
      }
    }
    results.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return { results, problems };
  }
}
