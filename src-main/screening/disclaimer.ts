/** Shown with every result and printed on every report: the model supports a clinician, it does not decide. */
export const SCREENING_DISCLAIMER =
  'This is a screening aid, not a diagnosis. The result supports, and never replaces, a clinician’s judgement; confirm any concern with the appropriate clinical test.';
