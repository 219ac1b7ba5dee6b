/**
 * Features are computed once per (recording content, feature parameters) and kept on disk, so a
 * benchmark's five folds, the distillation search's students and a retrain all reuse them. The key is the
 * SHA-256 of the file's bytes, not its path: a renamed copy hits, an edited file misses.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class FeatureCache {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  key(content: Uint8Array, params: unknown): string {
    return createHash('sha256').update(content).update('\0').update(JSON.stringify(params)).digest('hex');
  }

  get(key: string, length: number): Float32Array | undefined {
    const file = join(this.dir, `${key}.f32`);
    if (!existsSync(file)) return undefined;
    const bytes = readFileSync(file);
    // A short or long file is a cache from an interrupted write or another version: recompute.
    if (bytes.byteLength !== length * 4) return undefined;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  put(key: string, values: Float32Array): void {
    const file = join(this.dir, `${key}.f32`);
    // Unique per writer: worker threads share the process id and may compute the same features at once.
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    renameSync(tmp, file);
  }
}
