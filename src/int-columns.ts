/**
 * What the database columns hold, for validating input before it reaches them. Prisma `Int` is
 * PostgreSQL `integer` (4 bytes): a larger value fails the INSERT (22003) as a 500, so every integer
 * a request can put into an Int column is declared with intColumn() and refused as a 400 instead.
 */
import { z } from 'zod';

/** Range of Prisma `Int` = PostgreSQL `integer`. */
export const INT_COLUMN_RANGE = { min: -(2 ** 31), max: 2 ** 31 - 1 } as const;

export interface IntBounds {
  min?: number;
  max?: number;
}

function clamp(b: IntBounds): { min: number; max: number } {
  return {
    min: Math.max(b.min ?? INT_COLUMN_RANGE.min, INT_COLUMN_RANGE.min),
    max: Math.min(b.max ?? INT_COLUMN_RANGE.max, INT_COLUMN_RANGE.max),
  };
}

/** An integer bound for an Int column, narrowed further by `bounds`. */
export function intColumn(bounds: IntBounds = {}) {
  const { min, max } = clamp(bounds);
  return z.number().int().min(min).max(max);
}

/** The same for query strings and form fields (text converted to a number first). */
export function coercedIntColumn(bounds: IntBounds = {}) {
  const { min, max } = clamp(bounds);
  return z.coerce.number().int().min(min).max(max);
}
