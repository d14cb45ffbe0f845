/**
 * Maps any thrown value to an HttpProblem. Domain errors from the data and compute rooms carry a
 * `field` and `reason` (duck-typed here so those rooms stay free of HTTP code).
 */
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailableReason } from '../db/availability';
import { Prisma } from '../db/client';
import { ArtefactError, ConflictError, MemoryBudgetError, NotFoundError, ValidationError } from '../errors';
import { HttpProblem, PROBLEM_TYPES, type ProblemKind } from './problem';

interface FieldCarryingError {
  field: string;
  reason: string;
  name: string;
  message: string;
}

function isFieldError(err: unknown): err is FieldCarryingError {
  return (
    err instanceof Error &&
    typeof (err as Partial<FieldCarryingError>).field === 'string' &&
    typeof (err as Partial<FieldCarryingError>).reason === 'string'
  );
}

export function toHttpProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof ValidationError) return HttpProblem.fields(err.errors);
  if (err instanceof NotFoundError) return new HttpProblem('not-found', err.message);
  if (err instanceof ConflictError) return new HttpProblem('conflict', err.message, { errors: err.errors });
  // A unit estimated over ALIGN_WORKER_MEMORY_MB: each such unit named at the field of its layer, with the numbers.
  if (err instanceof MemoryBudgetError)
    return new HttpProblem('memory-budget', err.message, {
      errors: err.units.map((u) => ({
        field: u.field,
        reason: `unit ${u.subject} x layer "${u.layer}" (${u.representations.join(', ')}): estimated peak ${u.estimateMiB} MiB > budget ${u.budgetMiB} MiB`,
      })),
    });
  // The service's own store lost or damaged a file: named by key (never by path on this machine).
  if (err instanceof ArtefactError)
    return new HttpProblem('artefact-unavailable', err.message, { errors: [{ field: err.field, reason: err.reason }] });
  const e = err as {
    type?: string;
    status?: number;
    statusCode?: number;
    code?: string;
    name?: string;
    message?: string;
  };
  // Malformed percent-encoding anywhere the router or static files decode a path (router marks it 400).
  if (err instanceof URIError) return HttpProblem.invalid('path', 'malformed percent-encoding');
  if (isFieldError(err)) {
    const kind: ProblemKind = /outside/i.test(err.name + err.reason) ? 'path-outside-roots' : 'invalid-data';
    return new HttpProblem(kind, `${err.field}: ${err.reason}`, { errors: [{ field: err.field, reason: err.reason }] });
  }
  // The database is stopped, restarting or unreachable: a client may try again (never a 500).
  const down = databaseUnavailableReason(err);
  if (down)
    return new HttpProblem('database-unavailable', `the database is unavailable: ${down}; try again shortly`, {
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    });
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2002') return new HttpProblem('conflict', 'a resource with the same unique key already exists');
    if (err.code === 'P2025') return new HttpProblem('not-found', 'the resource does not exist');
  }
  // Other client errors raised by express's own middleware (http-errors with a 4xx status, e.g. static
  // files under /docs): keep the status; their messages are written for clients.
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const kind =
      status === 400
        ? 'bad-request'
        : ((Object.keys(PROBLEM_TYPES) as ProblemKind[]).find((k) => PROBLEM_TYPES[k].status === status) ??
          'bad-request');
    return new HttpProblem(kind, e.message ?? 'bad request', { status });
  }
  return new HttpProblem('internal', 'internal error; see the server log for this request id');
}
