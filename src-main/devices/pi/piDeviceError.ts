/**
 * Everything that can go wrong talking to a Pi, in words a field technician can act on. `kind` lets the
 * CLI and UI choose an icon or a next step; `message` is the sentence to show.
 */
export type PiDeviceErrorKind =
  | 'unreachable'
  | 'fingerprint_changed'
  | 'token_rejected'
  | 'not_paired'
  | 'pairing_code_wrong'
  | 'pairing_locked'
  | 'signature_rejected'
  | 'upload_corrupted'
  | 'test_inference_failed'
  | 'verification_mismatch'
  | 'no_model'
  | 'no_previous_model'
  | 'upload_cut'
  | 'busy'
  | 'upload_too_slow'
  | 'downgrade_refused'
  | 'older_version'
  /** No deploy sequence can be signed: the studio's counter file is damaged, or the Pi's record is at the maximum. */
  | 'deploy_sequence'
  /** The package folder cannot be sent as it is (files in subfolders, a name a device cannot take, a bad model.json). */
  | 'package_not_deployable'
  | 'refused';

export class PiDeviceError extends Error {
  override readonly name = 'PiDeviceError';
  constructor(
    readonly kind: PiDeviceErrorKind,
    message: string,
  ) {
    super(message);
  }
}
