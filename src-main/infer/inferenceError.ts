/** A request the inference service cannot answer, in words for the person who made it. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    message: string,
    readonly code: 'model' | 'input' | 'missing_modality' = 'input',
  ) {
    super(message);
  }
}
