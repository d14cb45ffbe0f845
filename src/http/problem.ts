/**
 * RFC 9457 problem details. Every error response of the API is one of these, with a stable `type`
 * (documented in openapi.yaml), the failing fields and reasons, and the request id — never a stack trace.
 */
import type { ZodError } from 'zod';
import type { FieldError } from '../errors';

export type { FieldError } from '../errors';

export const PROBLEM_TYPES = {
  validation: { status: 400, title: 'Request validation failed' },
  'bad-request': { status: 400, title: 'Malformed HTTP request' },
  'invalid-json': { status: 400, title: 'Request body is not valid JSON' },
  'invalid-data': { status: 400, title: 'Referenced data is invalid' },
  'path-outside-roots': { status: 400, title: 'Path is outside the configured data roots' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'This key may not do that' },
  'not-found': { status: 404, title: 'Resource not found' },
  conflict: { status: 409, title: 'Conflicts with the current state' },
  'request-timeout': { status: 408, title: 'Request not received in time' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'memory-budget': { status: 422, title: 'A unit of work would exceed the worker memory budget' },
  'header-too-large': { status: 431, title: 'Request headers too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  unavailable: { status: 503, title: 'Service unavailable' },
  'database-unavailable': { status: 503, title: 'The database is unavailable; try again shortly' },
  'artefact-unavailable': { status: 500, title: 'A stored artefact is missing or corrupted' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export function problemTypeUri(kind: ProblemKind): string {
  return `/problems/${kind}`;
}

export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly kind: ProblemKind;
  readonly status: number;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(
    kind: ProblemKind,
    detail: string,
    opts: { errors?: FieldError[]; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(detail);
    this.kind = kind;
    this.status = opts.status ?? PROBLEM_TYPES[kind].status;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }

  static notFound(what: string, id: string): HttpProblem {
    return new HttpProblem('not-found', `${what} ${id} does not exist`);
  }

  /** A validation problem listing every failing field. */
  static fields(errors: FieldError[]): HttpProblem {
    return new HttpProblem('validation', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { errors });
  }

  static invalid(field: string, reason: string, kind: ProblemKind = 'validation'): HttpProblem {
    return new HttpProblem(kind, `${field}: ${reason}`, { errors: [{ field, reason }] });
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

export function problemBody(p: HttpProblem, instance?: string, requestId?: string): ProblemBody {
  return {
    type: problemTypeUri(p.kind),
    title: PROBLEM_TYPES[p.kind].title,
    status: p.status,
    detail: p.message,
    ...(instance ? { instance } : {}),
    ...(requestId ? { requestId } : {}),
    ...(p.errors ? { errors: p.errors } : {}),
  };
}

type Issue = ZodError['issues'][number];

/**
 * For a failed union, the branch the input was meant for: the fewest signs of a different shape
 * (missing required fields, unknown keys, a wrong type at the root), then the deepest issues, so
 * `manifest.space` or `k` is reported instead of "Invalid input".
 */
function bestUnionBranch(issue: Issue): Issue[] | null {
  const branches = (issue as { errors?: Issue[][] }).errors;
  if (issue.code !== 'invalid_union' || !branches?.length) return null;
  const mismatch = (b: Issue[]) =>
    b.filter(
      (i) =>
        i.code === 'unrecognized_keys' ||
        (i.code === 'invalid_type' && (i.path.length === 0 || /received undefined/.test(i.message))),
    ).length;
  const depth = (b: Issue[]) => Math.max(...b.map((i) => i.path.length));
  const best = [...branches].sort((a, b) => mismatch(a) - mismatch(b) || depth(b) - depth(a))[0];
  return best.some((i) => i.code === 'invalid_type' && i.path.length === 0) ? null : best;
}

function flattenIssues(issues: Issue[], prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((i) => {
    const branch = bestUnionBranch(i);
    if (branch) return flattenIssues(branch, [...prefix, ...i.path]);
    return [{ path: [...prefix, ...i.path], message: i.message }];
  });
}

/** Zod issues -> field errors, prefixed with where the value came from (body, query, params). */
export function zodFieldErrors(err: ZodError, where: string): FieldError[] {
  return flattenIssues(err.issues).map((i) => ({
    field: [where, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .join('.')
      .replace(/\.\[/g, '['),
    reason: i.message,
  }));
}
