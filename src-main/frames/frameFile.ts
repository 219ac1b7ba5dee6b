import { readFile } from 'node:fs/promises';
import { FrameError } from './frameError';

/** Reads a frame file, turning file-system failures into a FrameError that names the file. */
export async function readFrameFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FrameError(file, 'unreadable', code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(e)})`);
  }
}
