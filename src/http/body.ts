/**
 * Request bodies: body-parser's errors as problems naming the body and why. (Content types, limits and
 * the order "key first, then body" are decided per route in route.ts.)
 */
import type { Request } from 'express';
import { HttpProblem } from './problem';

export function bodyParserProblem(err: unknown, req: Request): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const e = err as { type?: string; message?: string; limit?: number };
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (e?.type) {
    case 'entity.parse.failed':
      return new HttpProblem('invalid-json', `body is not valid JSON: ${e.message ?? ''}`.trim(), { errors: [{ field: 'body', reason: 'not valid JSON' }] });
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', `request body exceeds the limit of ${e.limit} bytes for this route`);
    case 'encoding.unsupported':
      return new HttpProblem('unsupported-media-type', `Content-Encoding "${encoding}" is not supported (identity, gzip, deflate, br)`);
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', e.message ?? 'unsupported charset');
    case 'request.size.invalid':
      return HttpProblem.invalid('body', 'the body length differs from Content-Length');
    case 'request.aborted':
      return HttpProblem.invalid('body', 'the client stopped sending the body');
  }
  // Anything else failed while reading: with a Content-Encoding, the body is not what it claims to be.
  if (encoding !== 'identity') return HttpProblem.invalid('body', `not valid ${encoding} data (Content-Encoding: ${encoding})`);
  return HttpProblem.invalid('body', 'the body could not be read');
}
