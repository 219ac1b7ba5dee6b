import type { ModalitySpec } from '../models/packageMeta';

/**
 * How long a take lasts when the model does not say. Chosen from the Coswara batch (74 participants), whose
 * recordings were timed by hand: cough median 5.8 s (10th percentile 3.2 s), counting 1–20 median 13.8 s
 * (8.8 s), deep breathing median 16.6 s (8.9 s). A fixed take must fit the slower half of people without
 * leaving long silences: three coughs fit in 5 s, counting to 20 at a calm pace in 12 s, and two slow
 * breath cycles (the features keep 4 s of one) in 10 s.
 */
export const DEFAULT_TAKE_SECONDS: Readonly<Record<string, number>> = {
  cough: 5,
  speech: 12,
  breathing: 10,
};

/** For a modality nobody has timed yet: long enough for any short sound, short enough not to bore. */
export const FALLBACK_TAKE_SECONDS = 8;

/** The model's own duration for this modality wins; then the defaults above. */
export function takeSeconds(modality: string, spec?: Pick<ModalitySpec, 'durationSeconds'>): number {
  return spec?.durationSeconds ?? DEFAULT_TAKE_SECONDS[modality] ?? FALLBACK_TAKE_SECONDS;
}
