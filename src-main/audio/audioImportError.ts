/**
 * Why a recording could not be imported. The reason is a stable code the UI and the import report can
 * group on; the message is the plain-language explanation shown to the person who picked the file.
 */
export type AudioImportReason =
  | 'unreadable' // the file system refused (missing, permissions, a folder, a device or pipe)
  | 'tooLarge' // more bytes than a recording file may have, or a recording longer than the app reads
  | 'empty' // a valid WAV header with zero samples
  | 'truncated' // the header or the data chunk stops before it says it should
  | 'notWav' // the bytes are not a RIFF/WAVE file at all
  | 'unsupportedCodec' // a WAV, but compressed or in a sample format we do not decode
  | 'implausibleHeader' // a sample rate, channel count or chunk layout no real recording has
  | 'nonFinite'; // float samples holding NaN, ±Infinity or magnitudes no audio has (WAV_LIMITS.maxFloatMagnitude)

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
