import type { retrainMethods } from '../methods/retrain';
import type { ServiceContext } from '../services';
import type { GroupHandlers } from './group';

export function createRetrainHandlers(_ctx: ServiceContext): GroupHandlers<typeof retrainMethods> {
  return {};
}
