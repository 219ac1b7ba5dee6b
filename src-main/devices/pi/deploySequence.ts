/**
 * The studio's deploy counter per Pi, in `<app data>/devices/pi-deploy-sequences.json`. Every signed
 * upload carries a number above any this studio signed for that Pi before and above what the Pi reports
 * having activated, so the Pi can refuse an older signed package sent again (agent/downgradeGuard.ts).
 *
 * A persisted counter rather than a clock: clocks get set back (NTP, a flat RTC battery, a person), and a
 * counter that went back would have the Pi refuse honest deploys. What the Pi reports covers the cases
 * the file cannot: a reinstalled studio, or a second studio paired with the same Pi.
 *
 * Numbers stop at MAX_DEPLOY_SEQUENCE. The next number is checked against it before the file is written:
 * a counter stored past the maximum would make every later deploy to that Pi fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../storage/atomicFile';
import { deploySequenceSchema, MAX_DEPLOY_SEQUENCE } from '../modelSigning';
import { PiDeviceError } from './piDeviceError';

const fileSchema = z.object({ agents: z.record(z.string(), deploySequenceSchema) });

export const deploySequencesPath = (dataDir: string) => join(dataDir, 'devices', 'pi-deploy-sequences.json');

/** The file's counters, or an error naming the file and how to recover (it holds nothing the Pis cannot replace). */
function load(path: string): Record<string, number> {
  const recover = "remove the file and deploy again (the Pis' own records take over)";
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new PiDeviceError('deploy_sequence', `This studio's deploy counter ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${recover}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PiDeviceError('deploy_sequence', `This studio's deploy counter ${path} is not valid JSON (${(e as Error).message}); ${recover}.`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PiDeviceError('deploy_sequence', `This studio's deploy counter ${path} is damaged: field '${issue.path.join('.') || '(root)'}': ${issue.message}; ${recover}.`);
  }
  return parsed.data.agents;
}

/** The deploy a sequence is wanted for, as the Pi described it in `/info`. */
export interface SequenceRequest {
  /** The Pi's agent id (the counter's key). */
  readonly agentId: string;
  /** The Pi's address as shown to the person (pi://host:port). */
  readonly pi: string;
  readonly modelId: string;
  /** The highest sequence the Pi says it has activated for `modelId` (0 when none). */
  readonly reported: number;
}

/**
 * Reserves and returns the next sequence for a deploy to the Pi, above the stored counter and what the Pi
 * reported. Written before the upload, so a deploy that fails still uses its number up: gaps are
 * harmless, a number signed twice is not. Nothing is written when no number is left.
 */
export function nextDeploySequence(dataDir: string, r: SequenceRequest): number {
  const path = deploySequencesPath(dataDir);
  const agents = load(path);
  const stored = Object.hasOwn(agents, r.agentId) ? agents[r.agentId]! : 0;
  const next = Math.max(stored, r.reported) + 1;
  if (next > MAX_DEPLOY_SEQUENCE) {
    if (r.reported >= stored) {
      throw new PiDeviceError(
        'deploy_sequence',
        `The Pi at ${r.pi} has recorded deploy sequence ${r.reported} for ${r.modelId}, the largest there is (2^40), so it accepts no further deploy of ${r.modelId}. ` +
          `No run of real deploys gets there: a studio paired with that Pi signed it, so check which studios are paired with it. To deploy ${r.modelId} there again, stop tinym2-agent on the Pi, ` +
          `remove the "${r.modelId}" entry under "sequences" in active.json in its data folder, and start it again. Nothing was sent.`,
      );
    }
    throw new PiDeviceError(
      'deploy_sequence',
      `This studio's deploy counter for the Pi at ${r.pi} (agent ${r.agentId}) in ${path} is at ${stored}, the largest there is (2^40), while the Pi has recorded only ${r.reported} for ${r.modelId}. ` +
        `Remove the file and deploy again (the Pis' own records take over). Nothing was sent.`,
    );
  }
  writeFileAtomic(path, `${JSON.stringify({ agents: Object.fromEntries([...Object.entries(agents), [r.agentId, next]]) }, null, 2)}\n`);
  return next;
}
