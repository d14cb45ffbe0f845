/** Schemas shared by several resources. */
import { coercedIntColumn } from '../../int-columns';
import { z } from '../openapi-registry';

export const UuidSchema = z.string().uuid().openapi({ example: '3f1c2a9e-7b7d-4c1e-9a52-1d2f7f0c9b11' });
export const IdParams = z.object({ id: UuidSchema });

export const FieldErrorSchema = z.object({ field: z.string(), reason: z.string() }).openapi('FieldError');

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .openapi({ description: 'Stable problem type, e.g. /problems/validation', example: '/problems/validation' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

export const PageQuery = z.object({
  limit: coercedIntColumn({ min: 1, max: 1000 }).default(100).openapi({ description: 'Page size' }),
  offset: coercedIntColumn({ min: 0 }).default(0).openapi({ description: 'Rows to skip' }),
});

export function page<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}
