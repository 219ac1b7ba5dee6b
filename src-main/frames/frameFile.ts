/**
 * Whole-file reads of frames and of a frame set's manifests. Every one goes through storage/inputFile, so
 * a frame is a regular file under a size cap (never `/dev/zero` or a pipe), and a file named from inside a
 * folder or manifest is never a symbolic link; its refusals come back as FrameErrors naming the file, so an
 * import lists them beside the frames that failed to decode.
 */
import { INPUT_LIMITS, InputFileError, readInputFile, type InputFileReason } from '../storage/inputFile';
import { FrameError, type FrameErrorReason } from './frameError';

export interface FrameReadOptions {
  /**
   * The file was named by a folder listing, a manifest or the store rather than picked by a person, so a
   * symbolic link there is refused: it could lead anywhere, which a name check cannot see.
   */
  readonly insideFolder?: boolean;
}

const REASONS: Record<InputFileReason, FrameErrorReason> = {
  missing: 'unreadable',
  unreadable: 'unreadable',
  tooLarge: 'too-large',
  notRegular: 'refused',
  symlink: 'refused',
  escapes: 'refused',
  badName: 'refused',
};

/** The same refusal as a FrameError, so frame imports report it like any other bad frame. */
export function frameErrorOf(e: InputFileError): FrameError {
  const prefix = `${e.file}: `;
  const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  // "file not found" is what the Pose and inference screens have always said for a missing frame.
  return new FrameError(e.file, REASONS[e.reason], e.reason === 'missing' ? 'file not found' : detail);
}

async function readCapped(file: string, maxBytes: number, kind: string, o: FrameReadOptions): Promise<Uint8Array> {
  try {
    const bytes = await readInputFile(file, { maxBytes, kind, noSymlink: o.insideFolder === true });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    if (e instanceof InputFileError) throw frameErrorOf(e);
    throw new FrameError(file, 'unreadable', `cannot read file (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Reads a depth or thermal frame file (at most `INPUT_LIMITS.imageBytes`), turning every failure into a FrameError that names the file. */
export function readFrameFile(file: string, o: FrameReadOptions = {}): Promise<Uint8Array> {
  return readCapped(file, INPUT_LIMITS.imageBytes, 'frame', o);
}

/** Reads a frame set's manifest.csv or manifest.json (at most `INPUT_LIMITS.tableBytes`) as UTF-8. */
export async function readFrameManifest(file: string, o: FrameReadOptions = {}): Promise<string> {
  return new TextDecoder().decode(await readCapped(file, INPUT_LIMITS.tableBytes, 'manifest', o));
}
