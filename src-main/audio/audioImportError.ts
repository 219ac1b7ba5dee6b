/**
 * Why a recording could not be imported. The reason is a stable code the UI and the import report can
 * group on; the message is the plain-language explanation shown to the person who picked the file.
 */
export type AudioImportReason =
  | 'unreadable' // the file system refused (missing, permissions, a folder)
  | 'empty' // a valid WAV header with zero samples
  | 'truncated' // the header or the data chunk stops before it says it should
  | 'notWav' // the bytes are not a RIFF/WAVE file at all
  | 'unsupportedCodec' // a WAV, but compressed or in a sample format we do not decode
  | 'nonFinite'; // float samples holding NaN or ±Infinity

export class AudioImportError extends Error {
  override readonly name = 'AudioImportError';

  constructor(
    readonly file: string,
    readonly reason: AudioImportReason,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
