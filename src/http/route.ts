/**
 * Routes are declared once (method, path, zod schemas for params/query/body/responses, handler) and
 * from that one declaration we get: request validation, TypeScript types for the handler, and the
 * OpenAPI operation. mountRoutes() wires them into express; registerRoutes() into the OpenAPI registry.
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { ZodType } from 'zod';
import type { z } from './openapi-registry';
import type { OpenAPIRegistry } from './openapi-registry';
import { bodyGate, bodyLimits } from './body';
import { assertSafeInput, malformedPathGuard } from './input-safety';
import { HttpProblem, zodFieldErrors } from './problem';
import { ProblemSchema } from './schemas/common';

export type Access = 'public' | 'read' | 'write';

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status?: number;
  body?: unknown;
  /** A body already serialised as JSON (cached responses). */
  json?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends ZodType = ZodType, Q extends ZodType = ZodType, B extends ZodType = ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path, e.g. /v1/runs/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Other request content types accepted (e.g. multipart/form-data); the handler reads those itself. */
  bodyContentTypes?: Record<string, ZodType>;
  /** Largest body per content type in bytes (application/json: JSON_BODY_LIMIT_BYTES unless given). */
  bodyLimits?: Record<string, number>;
  responses: Record<number, ResponseSpec>;
  /** Extra problem statuses this route can return besides 400/401/404/500. */
  problems?: number[];
  /** Return a result, or write to ctx.res yourself (streams) and return undefined. */
  handler: (ctx: HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<HandlerResult | undefined>;
}

// The identity function that gives handlers their inferred types.
export function defineRoute<P extends ZodType, Q extends ZodType, B extends ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

function expressPath(openapiPath: string): string {
  return openapiPath.replace(/\{(\w+)\}/g, ':$1');
}

function parsePart(schema: ZodType | undefined, value: unknown, where: string): unknown {
  assertSafeInput(value, where);
  if (!schema) return value;
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    throw HttpProblem.fields(zodFieldErrors(r.error, where));
  }
  return r.data;
}

export function mountRoutes(router: Router, routes: RouteSpec[], authorize: (access: Access) => RequestHandler): void {
  router.use(malformedPathGuard(routes));
  for (const route of routes) {
    const handler: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = parsePart(route.params, req.params, 'params');
        const query = parsePart(route.query, req.query, 'query');
        // Routes with several body types (multipart) validate their own body; the safety check is shared.
        const body = route.body
          ? parsePart(route.body, req.body, 'body')
          : (assertSafeInput(req.body, 'body'), req.body);
        const result = await route.handler({ params, query, body, req, res } as HandlerContext<never, never, never>);
        if (!result || res.headersSent) return;
        for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
        const status = result.status ?? 200;
        if (result.json !== undefined) res.status(status).type('application/json').send(result.json);
        else if (result.body === undefined) res.status(status).end();
        else if (Buffer.isBuffer(result.body)) res.status(status).send(result.body);
        else res.status(status).json(result.body);
      } catch (err) {
        next(err);
      }
    };
    const limits = bodyLimits(route);
    router[route.method](
      expressPath(route.path),
      authorize(route.access),
      ...(limits ? [bodyGate(limits)] : []),
      handler,
    );
  }
}

const STANDARD_PROBLEMS: Record<number, string> = {
  400: 'Invalid request (problem+json names each failing field)',
  401: 'Missing or invalid API key',
  404: 'Not found',
  406: 'Not acceptable',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Unsupported media type',
  422: 'A unit of work (subject x layer) is estimated over the worker memory budget (ALIGN_WORKER_MEMORY_MB)',
  500: 'Internal error (no details leak)',
  503: 'Unavailable',
};

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && n % 1024 === 0 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n} ${units[i]}`;
}

export function registerRoutes(registry: OpenAPIRegistry, routes: RouteSpec[]): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key created with `npm run cli -- keys create <name>` (or ALIGN_ADMIN_KEY).',
  });
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = spec.schema
        ? {
            description: spec.description,
            content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } },
          }
        : spec.contentType
          ? {
              description: spec.description,
              content: { [spec.contentType]: { schema: { type: 'string', format: 'binary' } } },
            }
          : { description: spec.description };
    }
    const problemStatuses = new Set<number>([500, ...(route.problems ?? [])]);
    if (route.params || route.query || route.body) problemStatuses.add(400);
    if (route.params) problemStatuses.add(404);
    if (route.access === 'write') problemStatuses.add(401);
    const limits = bodyLimits(route);
    if (limits) for (const s of [413, 415]) problemStatuses.add(s);
    for (const s of problemStatuses) {
      responses[String(s)] ??= {
        description: STANDARD_PROBLEMS[s] ?? 'Problem',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      };
    }
    const bodyContent: Record<string, { schema: ZodType }> = {};
    if (route.body) bodyContent['application/json'] = { schema: route.body };
    for (const [ct, schema] of Object.entries(route.bodyContentTypes ?? {})) bodyContent[ct] = { schema };
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      tags: route.tags,
      security: route.access === 'write' ? [{ bearerAuth: [] }] : [],
      // Machine-readable body limits (bytes per content type); a larger declared Content-Length gets 413 at once.
      ...(limits ? { 'x-body-limits': limits } : {}),
      request: {
        ...(route.params ? { params: route.params as never } : {}),
        ...(route.query ? { query: route.query as never } : {}),
        ...(limits
          ? {
              body: {
                required: true,
                description: `Largest body: ${Object.entries(limits)
                  .map(([t, n]) => `${t} ${formatBytes(n)}`)
                  .join(', ')}.`,
                content: bodyContent,
              },
            }
          : {}),
      },
      responses: responses as never,
    });
  }
}
