/**
 * Why a take could not be recorded. The reason is a stable code the UI can branch on (e.g. to show the
 * install instructions); the message says what to do in plain words.
 */
export type CaptureFailure =
  | 'noRecorder' // neither SoX nor arecord is installed
  | 'noDevice' // the recorder started but found no microphone (or was refused access to it)
  | 'noSignal' // the recorder ran but delivered no audio at all in time
  | 'recorderDied'; // the recorder exited on its own (or could not be started) before the take was complete

export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly reason: CaptureFailure,
    message: string,
  ) {
    super(message);
  }
}
