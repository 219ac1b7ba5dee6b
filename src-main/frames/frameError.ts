/**
 * Every problem with an input frame is a `FrameError` naming the file and a machine-readable reason,
 * so an import can list bad files and carry on, and the UI can say exactly which file to fix.
 */
export type FrameErrorReason =
  | 'unreadable' // the file could not be opened
  | 'refused' // not read on purpose: a symbolic link, device, pipe or socket, or a name that leaves its folder
  | 'too-large' // the file is over its size cap, or a PNG claims more pixels than a frame may have
  | 'not-png' // wrong signature: not a PNG at all
  | 'truncated' // the file ends early
  | 'corrupt' // the PNG decoder rejected the data
  | 'bit-depth' // e.g. an 8-bit depth PNG where millimetres need 16 bits
  | 'channels' // colour where a single grey channel is expected
  | 'out-of-range' // values outside what the sensor can report
  | 'malformed' // CSV/raw matrix that does not parse into a rectangle of numbers
  | 'resolution' // size differs from what the set or the model expects
  | 'unpaired' // a depth frame without its thermal frame, or the other way round
  | 'encoding'; // the file's encoding needs a declaration that was not given

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly file: string,
    readonly reason: FrameErrorReason,
    /** What is wrong, without the file name (for reports that name the file, or a manifest row, themselves). */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
