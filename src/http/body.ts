/**
 * Request bodies, per route: accepted content types, size limits (published in openapi.yaml as
 * x-body-limits), the JSON parser, and body-parser's errors as problems naming the body and why.
 * mountRoutes() puts bodyGate() after the key check, so nothing is read for an unauthenticated client.
 */
import express, { type Request, type RequestHandler } from 'express';
import { HttpProblem } from './problem';
import type { RouteSpec } from './route';

/** Default limit of a JSON body: far above any request of this API, far below a memory problem. */
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** Accepted body content types and their limits, or null for a route without a body. */
export function bodyLimits(route: RouteSpec): Record<string, number> | null {
  const types = new Set([...(route.body ? ['application/json'] : []), ...Object.keys(route.bodyContentTypes ?? {})]);
  if (types.size === 0) return null;
  const limits: Record<string, number> = {};
  for (const t of types) {
    const limit = route.bodyLimits?.[t] ?? (t === 'application/json' ? JSON_BODY_LIMIT_BYTES : undefined);
    if (limit === undefined) throw new Error(`${route.operationId}: bodyLimits must give a limit for ${t}`);
    limits[t] = limit;
  }
  return limits;
}

function acceptedType(contentType: string | undefined, types: string[]): string | undefined {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return types.find((t) => t === media || (t === 'application/json' && /^application\/[\w.-]+\+json$/.test(media)));
}

/**
 * A content type the route accepts (415 otherwise, also when none is given), a declared Content-Length
 * within the route's limit (413 at once, without reading the body), then the JSON parser with the same
 * limit for bodies that declare no length (chunked). Multipart bodies are left to the handler's reader.
 */
export function bodyGate(limits: Record<string, number>): RequestHandler {
  const types = Object.keys(limits);
  const json = limits['application/json']
    ? express.json({ limit: limits['application/json'], type: () => true })
    : undefined;
  return (req, res, next) => {
    const type = acceptedType(req.headers['content-type'], types);
    if (!type) {
      const given = req.headers['content-type']
        ? `Content-Type ${JSON.stringify(req.headers['content-type'])} is not accepted here`
        : 'a Content-Type is required';
      return next(
        new HttpProblem('unsupported-media-type', `${given}; send ${types.join(' or ')}`, {
          headers: { 'Accept-Post': types.join(', ') },
        }),
      );
    }
    const declared = Number(req.headers['content-length']);
    if (declared > limits[type]) {
      return next(
        new HttpProblem(
          'payload-too-large',
          `Content-Length ${declared} exceeds the limit of ${limits[type]} bytes for ${type} on this route`,
        ),
      );
    }
    if (type !== 'application/json' || !json) return next();
    json(req, res, (err?: unknown) => next(err ? bodyParserProblem(err, req) : undefined));
  };
}

export function bodyParserProblem(err: unknown, req: Request): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const e = err as { type?: string; message?: string; limit?: number };
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (e?.type) {
    case 'entity.parse.failed':
      return new HttpProblem('invalid-json', `body is not valid JSON: ${e.message ?? ''}`.trim(), {
        errors: [{ field: 'body', reason: 'not valid JSON' }],
      });
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', `request body exceeds the limit of ${e.limit} bytes for this route`);
    case 'encoding.unsupported':
      return new HttpProblem(
        'unsupported-media-type',
        `Content-Encoding "${encoding}" is not supported (identity, gzip, deflate, br)`,
      );
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', e.message ?? 'unsupported charset');
    case 'request.size.invalid':
      return HttpProblem.invalid('body', 'the body length differs from Content-Length');
    case 'request.aborted':
      return HttpProblem.invalid('body', 'the client stopped sending the body');
  }
  // Anything else failed while reading: with a Content-Encoding, the body is not what it claims to be.
  if (encoding !== 'identity')
    return HttpProblem.invalid('body', `not valid ${encoding} data (Content-Encoding: ${encoding})`);
  return HttpProblem.invalid('body', 'the body could not be read');
}
