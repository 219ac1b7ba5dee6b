/**
 * One screening from recordings: each of the model's modalities gets its recording (a WAV file, a stored
 * take, or nothing), features are computed exactly as at training time, and the int8 model answers with
 * whatever modalities are usable. Every modality left out is named with the reason, naming its file.
 */
import { randomUUID } from 'node:crypto';
import type { ScreeningResult } from '../api/contract';
import { audioModalityInput, silenceFill, type AudioModalityInput } from '../infer/audioInput';
import { classify } from '../infer/classify';
import { InferenceError } from '../infer/inferenceError';
import type { ModelSession } from '../infer/modelSession';
import { SCREENING_DISCLAIMER } from './disclaimer';

/** A recording offered for one modality: a WAV file to read, or a reason it cannot be used. */
export type RecordingSource =
  | {
      readonly kind: 'file';
      readonly file: string;
      /** How the person knows the file (its name); the path when absent. */
      readonly source?: string;
      /** Set when the file is a take in the app's take store. */
      readonly takeId?: string;
    }
  | { readonly kind: 'unusable'; readonly source: string; readonly problem: string; readonly takeId?: string };

export interface ScreeningRequest {
  readonly recordings: Readonly<Record<string, RecordingSource>>;
  readonly subjectCode?: string;
  /** The request field the recordings came from, so an error can name it (e.g. `takes.cough`). */
  readonly field: string;
}

/** Where a screened recording lives, so the session can be imported for retraining once it is labelled. */
function origin(rec: RecordingSource | undefined): { takeId?: string; file?: string } {
  if (!rec) return {};
  if (rec.takeId) return { takeId: rec.takeId };
  return rec.kind === 'file' ? { file: rec.file } : {};
}

export async function screenRecordings(session: ModelSession, request: ScreeningRequest): Promise<ScreeningResult> {
  const { meta } = session;
  const names = meta.modalities.map((m) => m.name);
  const nonAudio = meta.modalities.find((m) => m.kind !== 'audio');
  if (nonAudio) throw new InferenceError(`model '${meta.id}' takes ${nonAudio.kind} input ('${nonAudio.name}'): screening here runs audio models only`, 'model');
  for (const name of Object.keys(request.recordings)) {
    if (!names.includes(name)) throw new InferenceError(`field '${request.field}.${name}': model '${meta.id}' has no modality '${name}' (it takes ${names.join(', ')})`);
  }
  const inputs: AudioModalityInput[] = [];
  const sources: (string | undefined)[] = [];
  for (const m of meta.modalities) {
    const rec = request.recordings[m.name];
    sources.push(rec ? (rec.kind === 'file' ? (rec.source ?? rec.file) : rec.source) : undefined);
    if (!rec) inputs.push({ features: undefined, fill: silenceFill(m), problem: `no ${m.name} recording was given` });
    else if (rec.kind === 'unusable') inputs.push({ features: undefined, fill: silenceFill(m), problem: rec.problem });
    else {
      const input = await audioModalityInput(m, rec.file);
      // A stored take's problem should name the file the person loaded, not the app's copy of it.
      const problem = input.problem && rec.source ? input.problem.split(rec.file).join(rec.source) : input.problem;
      inputs.push({ ...input, ...(problem ? { problem } : {}) });
    }
  }
  const reasons = meta.modalities.map((m, i) => inputs[i]!.problem ?? `no usable ${m.name} recording`);
  if (inputs.every((x) => !x.features)) {
    throw new InferenceError(`nothing to screen: ${reasons.join('; ')}`, 'missing_modality');
  }
  const r = await classify(session, inputs);
  return {
    screeningId: randomUUID(),
    ...(request.subjectCode ? { subjectCode: request.subjectCode } : {}),
    createdAt: new Date().toISOString(),
    label: r.label,
    labels: [...r.labels],
    probabilities: Object.fromEntries(r.labels.map((l, i) => [l, r.probabilities[i]!])),
    confidence: r.probabilities[r.labelIndex]!,
    contributions: { ...r.contributions },
    modalities: meta.modalities.map((m, i) => ({
      name: m.name,
      used: inputs[i]!.features !== undefined,
      ...(sources[i] !== undefined ? { source: sources[i] } : {}),
      ...(inputs[i]!.features ? {} : { reason: reasons[i]! }),
      ...origin(request.recordings[m.name]),
    })),
    missing: meta.modalities.flatMap((m, i) => (inputs[i]!.features ? [] : [{ modality: m.name, reason: reasons[i]! }])),
    model: { ...r.model },
    disclaimer: SCREENING_DISCLAIMER,
    latencyMs: r.latencyMs,
  };
}
