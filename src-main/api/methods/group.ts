import type { z } from 'zod';

/** A group of API methods (one file per area under api/methods/), merged into the one contract. */
export type MethodGroup = Record<string, { request: z.ZodType; response: z.ZodType }>;
export type EventGroup = Record<string, z.ZodType>;
