import type { poseMethods } from '../methods/pose';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

export function createPoseHandlers(_ctx: ServiceContext): GroupHandlers<typeof poseMethods> {
  return {};
}
