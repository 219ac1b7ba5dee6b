/** A data set that cannot be opened at all (as opposed to individual bad recordings, which are problems). */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
