/** Letters and digits that cannot be mistaken for one another when read aloud or copied by hand (no O/0, I/1). */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A fresh anonymous subject code, e.g. S-7KQ2XM: something to match against the clinic's own records, never a name. */
export function newSubjectCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `S-${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/** Mirrors the contract's rule so the field can say what is wrong before anything is sent. */
export const SUBJECT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
