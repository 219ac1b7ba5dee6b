/**
 * A recording file read from outside (picked on the Screen page, named by a data set, screened earlier):
 * a regular file of at most `INPUT_LIMITS.audioBytes`, so `/dev/zero`, a FIFO or a 10 GB file fails at
 * once with the importer's own error instead of filling memory.
 */
import { INPUT_LIMITS, InputFileError, readInputFile } from '../storage/inputFile';
import { AudioImportError } from './audioImportError';

export interface RecordingReadOptions {
  /**
   * The file was named by a data set (a manifest row, a Coswara or `<label>/<subject>` folder listing) or
   * by the store, not picked by a person, so a symbolic link there is refused at the read itself: the
   * loaders refuse links when they list the set, and this catches a file swapped for a link between that
   * listing and the import. A path the person picked (Screen page, CLI argument) may be a link.
   */
  readonly insideFolder?: boolean;
}

/** The file system's refusal as the importer's error, naming the file, so batch imports report it and go on. */
export function audioErrorOf(e: InputFileError, file: string): AudioImportError {
  const detail = e.reason === 'symlink' ? 'the recording is a symbolic link, which is not followed inside a data set (copy the file itself into the data set)' : e.detail;
  return new AudioImportError(file, e.reason === 'tooLarge' ? 'tooLarge' : 'unreadable', detail);
}

/** The bytes of a recording file. Throws `AudioImportError` ('unreadable' or 'tooLarge'). */
export async function readRecordingFile(file: string, o: RecordingReadOptions = {}): Promise<Buffer> {
  try {
    return await readInputFile(file, { maxBytes: INPUT_LIMITS.audioBytes, kind: 'recording', noSymlink: o.insideFolder === true });
  } catch (e) {
    if (e instanceof InputFileError) throw audioErrorOf(e, file);
    throw e;
  }
}
