/** The Pose screen: depth + thermal frame pairs classified by a pose model. */
import type { MethodGroup } from './group';

export const poseMethods = {} as const satisfies MethodGroup;
