/** Checks every request input passes before its route's schema sees it. */
import type { RequestHandler } from 'express';
import { HttpProblem, type FieldError } from './problem';
import type { RouteSpec } from './route';

/** Deeper than any request this API defines; refused before a recursive reader could overflow its stack. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Refuses what no field of this API may hold, in every string and object key of the input: U+0000
 * (PostgreSQL text cannot store it, error 22021, so it must never reach a query) and nesting deeper
 * than MAX_INPUT_DEPTH. Iterative, so hostile nesting cannot overflow the stack here either.
 */
export function assertSafeInput(value: unknown, where: string): void {
  const errors: FieldError[] = [];
  const stack: { v: unknown; field: string; depth: number }[] = [{ v: value, field: where, depth: 0 }];
  while (stack.length > 0 && errors.length < 20) {
    const { v, field, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) errors.push({ field, reason: 'must not contain NUL (U+0000) characters' });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      errors.push({ field, reason: `nested deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\u0000')) {
        errors.push({ field, reason: 'an object key contains NUL (U+0000)' });
        continue;
      }
      stack.push({ v: child, field: Array.isArray(v) ? `${field}[${k}]` : `${field}.${k}`, depth: depth + 1 });
    }
  }
  if (errors.length > 0) throw HttpProblem.fields(errors);
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/**
 * The router decodes path parameters while matching and throws a bare URIError on malformed
 * percent-encoding ("/v1/runs/%"); answer it first, naming the parameter of the route the path is for.
 */
export function malformedPathGuard(routes: RouteSpec[]): RequestHandler {
  const templates = routes.map((r) => r.path.split('/'));
  return (req, _res, next) => {
    if (!req.path.includes('%')) return next();
    const segments = req.path.split('/');
    const bad = segments.findIndex((s) => !decodes(s));
    if (bad < 0) return next();
    const template = templates.find(
      (t) => t.length === segments.length && t.every((part, i) => part.startsWith('{') || part === segments[i]),
    );
    const name = /^\{(\w+)\}$/.exec(template?.[bad] ?? '')?.[1];
    next(HttpProblem.invalid(name ? `params.${name}` : 'path', 'malformed percent-encoding'));
  };
}
