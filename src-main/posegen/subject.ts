import { Rng } from './random';

/** One simulated person: body shape and clothing stay fixed across all of their samples. */
export interface Subject {
  readonly id: string;
  readonly heightM: number;
  /** Girth multiplier on every limb/torso radius: 0.85 slim … 1.35 heavy. */
  readonly build: number;
  /** Clothing insulation in clo (0.3 T-shirt and shorts … 1.5 winter layers); sets how cool clothing reads. */
  readonly clo: number;
  readonly sleeves: 'short' | 'long';
  readonly legwear: 'shorts' | 'trousers';
  /** Hair cover 0 (bald) … 1 (thick): insulates the scalp and, being dark, drops depth readings. */
  readonly hair: number;
  /** Facial skin temperature, °C. */
  readonly skinC: number;
  /** How much colder hands and feet run than the face, °C. */
  readonly extremityDropC: number;
}

/**
 * Subjects come from their own seed, not the dataset's, so a benchmark can generate test data for
 * people never seen in training (`--subject-seed`) while keeping scenes and poses comparable.
 */
export function makeSubjects(subjectSeed: number, count: number): Subject[] {
  return Array.from({ length: count }, (_, k) => makeSubject(subjectSeed, k));
}

export function makeSubject(subjectSeed: number, k: number): Subject {
  const rng = new Rng('subject', subjectSeed, k);
  const child = rng.chance(0.08);
  const heightM = child ? rng.uniform(1.15, 1.45) : Math.min(2.0, Math.max(1.48, rng.normal(1.72, 0.09)));
  const clo = rng.uniform(0.3, 1.5);
  return {
    id: `s${subjectSeed}-${String(k).padStart(3, '0')}`,
    heightM,
    build: child ? rng.uniform(0.75, 0.95) : Math.min(1.4, Math.max(0.82, rng.normal(1.05, 0.12))),
    clo,
    // Warm clothing usually comes with long sleeves and trousers; light clothing varies.
    sleeves: rng.chance(clo > 0.8 ? 0.9 : 0.35) ? 'long' : 'short',
    legwear: rng.chance(clo > 0.7 ? 0.95 : 0.55) ? 'trousers' : 'shorts',
    hair: rng.chance(0.12) ? 0 : rng.uniform(0.3, 1),
    skinC: rng.uniform(33.6, 35.0),
    extremityDropC: rng.uniform(0.5, 4),
  };
}
