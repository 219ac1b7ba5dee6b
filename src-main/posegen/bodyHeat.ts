import type { BodyPart, Capsule } from './body';
import type { Rng } from './random';
import type { Surface } from './room';
import type { SceneBody } from './scene';
import type { Subject } from './subject';

/**
 * Surface temperature of clothing: the fabric sits between skin and room air, and the more
 * insulation (clo) the closer it reads to the room. clo/(clo + 0.6) puts a T-shirt ~3–4 K under skin
 * and winter layers within ~3–4 K of the air, in line with thermograms of dressed people.
 */
export function clothingC(subject: Subject, ambientC: number): number {
  return subject.skinC - (subject.skinC - ambientC) * (subject.clo / (subject.clo + 0.6));
}

/**
 * Gives every capsule of a posed body its surface: bare skin (face, neck, hands, and forearms/shins
 * when sleeves/legs are short) runs from the face temperature down to cooler extremities; clothing
 * reads cooler by its insulation; hair insulates the scalp and swallows depth returns; shoes are cool.
 */
export function dressBody(rng: Rng, subject: Subject, capsules: readonly Capsule[], ambientC: number): SceneBody[] {
  const skin = subject.skinC;
  const cloth = clothingC(subject, ambientC);
  const cache = new Map<BodyPart, Surface>();
  const surface = (part: BodyPart): Surface => {
    const cached = cache.get(part);
    if (cached) return cached;
    let s: Surface;
    switch (part) {
      case 'face':
        s = { kind: 'skin', tempC: skin, dropout: 0.01 };
        break;
      case 'neck':
        s = { kind: 'skin', tempC: skin - 0.3, dropout: 0.01 };
        break;
      case 'hand':
        s = { kind: 'skin', tempC: skin - subject.extremityDropC, dropout: 0.02 };
        break;
      case 'scalp':
        // Dark hair absorbs the projector/ToF light: depth often drops out on it.
        s = subject.hair === 0 ? { kind: 'skin', tempC: skin - 0.4, dropout: 0.01 } : { kind: 'hair', tempC: skin - subject.hair * 0.55 * (skin - ambientC), dropout: 0.1 + 0.35 * subject.hair };
        break;
      case 'forearm':
        s = subject.sleeves === 'short' ? { kind: 'skin', tempC: skin - 0.4 * subject.extremityDropC - 0.6, dropout: 0.01 } : { kind: 'cloth', tempC: cloth - 0.3, dropout: 0.03 };
        break;
      case 'shin':
        s = subject.legwear === 'shorts' ? { kind: 'skin', tempC: skin - 0.5 * subject.extremityDropC - 1.2, dropout: 0.01 } : { kind: 'cloth', tempC: cloth - 0.6, dropout: 0.03 };
        break;
      case 'foot':
        s = { kind: 'shoe', tempC: ambientC + 0.3 * (cloth - ambientC), dropout: 0.08 };
        break;
      default:
        // Torso and upper limbs: clothed, a little warmer over the core than over the limbs.
        s = { kind: 'cloth', tempC: cloth + (part === 'chest' || part === 'trunk' || part === 'belly' ? 0.3 : -0.2) + rng.normal(0, 0.15), dropout: 0.03 };
    }
    cache.set(part, s);
    return s;
  };
  return capsules.map((capsule) => ({ capsule, surface: surface(capsule.part) }));
}
