/**
 * Maps any thrown value to an HttpProblem. Domain errors from the data and compute rooms carry a
 * `field` and `reason` (duck-typed here so those rooms stay free of HTTP code).
 */
import { Prisma } from '../db/client';
import { HttpProblem, type ProblemKind } from './problem';

interface FieldCarryingError {
  field: string;
  reason: string;
  name: string;
  message: string;
}

function isFieldError(err: unknown): err is FieldCarryingError {
  return err instanceof Error && typeof (err as Partial<FieldCarryingError>).field === 'string' && typeof (err as Partial<FieldCarryingError>).reason === 'string';
}

export function toHttpProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; code?: string; name?: string; message?: string };
  // body-parser errors
  if (e?.type === 'entity.parse.failed') return new HttpProblem('invalid-json', `body is not valid JSON: ${e.message ?? ''}`.trim(), { errors: [{ field: 'body', reason: 'not valid JSON' }] });
  if (e?.type === 'entity.too.large') return new HttpProblem('payload-too-large', 'request body exceeds the size limit');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HttpProblem('unsupported-media-type', e.message ?? 'unsupported encoding');
  // Malformed percent-encoding anywhere the router or static files decode a path (router marks it 400).
  if (err instanceof URIError) return HttpProblem.invalid('path', 'malformed percent-encoding');
  if (isFieldError(err)) {
    const kind: ProblemKind = /outside/i.test(err.name + err.reason) ? 'path-outside-roots' : 'invalid-data';
    return new HttpProblem(kind, `${err.field}: ${err.reason}`, { errors: [{ field: err.field, reason: err.reason }] });
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2002') return new HttpProblem('conflict', 'a resource with the same unique key already exists');
    if (err.code === 'P2025') return new HttpProblem('not-found', 'the resource does not exist');
  }
  return new HttpProblem('internal', 'internal error; see the server log for this request id');
}
