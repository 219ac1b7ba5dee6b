/**
 * Refuses an upload that would take the device back to an older model without the person asking for it.
 * Two different dangers, two checks:
 *
 * - Replay. A signature never expires, so an old signed package sent again (by anyone holding a paired
 *   studio's token) would undo a newer deploy. Format-2 manifests sign a deploy `sequence` that the
 *   studio raises with every deploy; the agent records, per model id, the highest sequence it has
 *   activated and refuses any that is not above it. This holds even with `allowDowngrade`: a deliberate
 *   downgrade is freshly signed, so it has a fresh sequence.
 * - A mistaken older version. A fresh deploy of version 1.2 over 1.3 of the same model is refused unless
 *   the signed manifest says the person chose it (`allowDowngrade`). Versions are compared only when both
 *   are dotted numbers ("1.10.0" > "1.9.2"); a free-form version is never called older.
 *
 * A format-1 manifest (a studio from before this check) has no sequence. It is accepted only until the
 * device activates its first sequenced manifest, of any model: an old studio keeps working with a new
 * agent until a current studio deploys, and from then on every unsequenced upload is refused. Refusing
 * it only for model ids with a recorded sequence was not enough: a captured pre-upgrade upload of model X
 * could replace a model Y deployed since, again and again.
 *
 * Sequences stop at MAX_DEPLOY_SEQUENCE (the schemas refuse more), so the record can always be passed by
 * one. A paired studio can still sign that maximum and so end deploys of that model id; only a studio
 * holding a token and its own signing key can, and the studio's message says how to clear it on the Pi.
 * `POST /rollback` is not an upload and is not checked here.
 */
import { z } from 'zod';
import { deploySequenceSchema, LEGACY_MANIFEST_FORMAT, type ModelManifest } from '../devices/modelSigning';
import type { ModelRef } from '../devices/pi/piProtocol';
import { AgentError } from './agentError';

export const deploySequencesSchema = z.record(z.string(), z.object({ sequence: deploySequenceSchema, version: z.string() }));
/** Per model id, the highest deploy sequence activated on this device and that package's version. */
export type DeploySequences = z.infer<typeof deploySequencesSchema>;

/** What the device remembers of past deploys (kept in active.json, beside the pointer it goes with). */
export interface DeployRecord {
  readonly sequences: DeploySequences;
  /**
   * True once any sequenced (format-2) manifest has been activated here; from then on format 1 is refused.
   * Kept as its own flag, not read off `sequences`, so clearing one model's entry by hand (the way out of a
   * sequence at the maximum) does not open the door to unsequenced uploads again.
   */
  readonly sequencedOnly: boolean;
}

/** Negative, zero or positive as `a` is older, equal or newer than `b`; undefined unless both are dotted numbers. */
export function compareVersions(a: string, b: string): number | undefined {
  const dotted = /^\d{1,9}(\.\d{1,9})*$/;
  if (!dotted.test(a) || !dotted.test(b)) return undefined;
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Own entries only: a model id like "constructor" must not find Object.prototype's. */
const seenFor = (sequences: DeploySequences, modelId: string) => (Object.hasOwn(sequences, modelId) ? sequences[modelId] : undefined);

/** The refusal for this (signature-checked) manifest, or undefined when it may be activated. */
export function downgradeRefusal(m: ModelManifest, record: DeployRecord, active: ModelRef | null): AgentError | undefined {
  const seen = seenFor(record.sequences, m.modelId);
  if (m.format === LEGACY_MANIFEST_FORMAT) {
    if (record.sequencedOnly) {
      const since = seen ? `${m.modelId} ${seen.version} was activated here with deploy sequence ${seen.sequence}` : 'this device has taken sequenced deploys from a current TinyM2 Studio';
      return new AgentError(
        409,
        'downgrade_refused',
        `downgrade refused: ${m.modelId} ${m.version} comes without a deploy sequence (signed by a TinyM2 Studio older than this agent), and ${since}, so this upload cannot be told from an old package sent again. Update TinyM2 Studio and deploy again; nothing changed`,
      );
    }
  } else if (seen && m.sequence <= seen.sequence) {
    // Two studios that read the same record and signed the same next number end here too: the second to
    // arrive. The studio tries once more with a fresh number (piClient.ts), so a person rarely sees this.
    return new AgentError(
      409,
      'downgrade_refused',
      `downgrade refused: this upload of ${m.modelId} ${m.version} carries deploy sequence ${m.sequence}, not above the ${seen.sequence} of ${m.modelId} ${seen.version} already activated here: another studio deployed ${m.modelId} meanwhile, or this is an old signed package sent again. Deploy again from the studio (it signs a new sequence above ${seen.sequence}); nothing changed`,
    );
  }
  const chosen = m.format !== LEGACY_MANIFEST_FORMAT && m.allowDowngrade;
  if (active && active.id === m.modelId && !chosen) {
    const order = compareVersions(m.version, active.version);
    if (order !== undefined && order < 0) {
      // Its own code: unlike a replay, this one the person may choose to override from the studio (which
      // replaces the hint after "To return" with its own words for the CLI and the Devices page).
      return new AgentError(
        409,
        'older_version',
        `downgrade refused: ${m.modelId} ${m.version} is older than ${m.modelId} ${active.version}, which runs here; nothing changed. To return to the previous model, roll back; to install this older version anyway, deploy it again as a chosen downgrade (tinym2 deploy --allow-downgrade, or Install older version on the studio's Devices page)`,
      );
    }
  }
  return undefined;
}

/** The record after activating `m`: a format-1 manifest adds nothing (it has no sequence to remember). */
export function recordActivation(m: ModelManifest, record: DeployRecord): DeployRecord {
  if (m.format === LEGACY_MANIFEST_FORMAT) return record;
  const seen = seenFor(record.sequences, m.modelId);
  if (seen && seen.sequence >= m.sequence && record.sequencedOnly) return record;
  const sequences = seen && seen.sequence >= m.sequence ? record.sequences : Object.fromEntries([...Object.entries(record.sequences), [m.modelId, { sequence: m.sequence, version: m.version }]]);
  return { sequences, sequencedOnly: true };
}
