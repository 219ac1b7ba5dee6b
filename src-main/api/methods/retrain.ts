/** The Retrain wizard: local data import, review, training jobs, comparison, acceptance. */
import type { EventGroup, MethodGroup } from './group';

export const retrainMethods = {} as const satisfies MethodGroup;

export const retrainEvents = {} as const satisfies EventGroup;
