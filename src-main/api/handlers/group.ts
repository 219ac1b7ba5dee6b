import type { ServiceHandlers } from '../dispatch';
import type { MethodGroup } from '../methods/group';

/** The handlers of one method group (api/methods/<area>.ts), implemented in api/handlers/<area>.ts. */
export type GroupHandlers<G extends MethodGroup> = Pick<ServiceHandlers, keyof G & keyof ServiceHandlers>;
