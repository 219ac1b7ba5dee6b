import type { Command } from '../command';
import { datasetInspectCommand } from './dataset';
import { generatePoseCommand } from './generatePose';
import { modelsCommand } from './models';

/** Every CLI command, in the order `tinym2 --help` lists them. Add new commands here. */
export const commands: readonly Command[] = [modelsCommand, generatePoseCommand, datasetInspectCommand];
