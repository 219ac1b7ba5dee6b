import type { Command } from '../command';
import { datasetInspectCommand } from './dataset';
import { generatePoseCommand } from './generatePose';
import { modelsCommand } from './models';
import { trainCommand } from './train';
import { compressCommand } from './compress';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { devicesCommand, pairCommand, unpairCommand } from './devices';
import { deployCommand, rollbackCommand } from './deploy';

/** Every CLI command, in the order `tinym2 --help` lists them. Add new commands here. */
export const commands: readonly Command[] = [modelsCommand, trainCommand, compressCommand, evalCommand, exportCommand, generatePoseCommand, datasetInspectCommand, devicesCommand, pairCommand, unpairCommand, deployCommand, rollbackCommand];
