/**
 * The express application: request ids, structured logs, JSON parsing, routes, docs, and one error
 * handler that turns everything into problem+json (no stack traces ever leave the process).
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { makeAuthorizer } from './auth';
import type { AppContext } from './context';
import { buildOpenApiDocument, openApiYaml } from './openapi';
import { HttpProblem, problemBody, type ProblemKind } from './problem';
import { mountRoutes } from './route';
import { allRoutes } from './routes';
import { toHttpProblem } from './error-mapping';
import { dashboardRouter } from './dashboard';

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags are set where they are cheap (cached reads), not hashed for every response.
  app.set('etag', false);
  app.set('query parser', 'extended');

  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    (req as { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  // HTTP/1.1 requires Host (RFC 9112 section 3.2); node:http leaves the check to us (server-options.ts).
  app.use((req, _res, next) => {
    if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return next();
    next(
      new HttpProblem('bad-request', 'the Host header is missing: an HTTP/1.1 request must send one', {
        headers: { Connection: 'close' },
      }),
    );
  });
  app.use(
    pinoHttp({
      logger: ctx.logger,
      genReqId: (req) => (req as { id?: string }).id ?? randomUUID(),
      // 503 (database or queue unavailable: the client retries) is a warning, not an error of ours.
      customLogLevel: (_req, res, err) =>
        res.statusCode === 503
          ? 'warn'
          : err || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'warn'
              : 'info',
      // SSE and health polls are chatty; they still log at debug.
      autoLogging: { ignore: (req) => req.url === '/v1/health' },
    }),
  );

  const document = buildOpenApiDocument();
  const yamlText = openApiYaml();
  app.get('/openapi.json', (_req, res) => res.json(document));
  app.get('/openapi.yaml', (_req, res) => res.type('application/yaml').send(yamlText));
  // The page at /docs itself; its assets from swagger-ui's folder; any other /docs path is a 404 problem.
  app.use('/docs', (req, _res, next) =>
    next(
      /\/package\.json$/.test(req.path) ? new HttpProblem('not-found', `no such file ${req.originalUrl}`) : undefined,
    ),
  );
  app.use('/docs', swaggerUi.serve);
  app.get('/docs', swaggerUi.setup(document, { customSiteTitle: 'Brain alignment API' }));

  const router = express.Router();
  mountRoutes(
    router,
    allRoutes(ctx),
    makeAuthorizer({ prisma: ctx.prisma, adminKey: ctx.config.adminKey, readsRequireKey: ctx.config.readsRequireKey }),
  );
  app.use(router);
  app.use(dashboardRouter());

  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route for ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const problem = toHttpProblem(err);
    // An outage is one line per request (the queue and health say more), not a stack trace each.
    if (problem.kind === 'database-unavailable') req.log?.warn({ err: problem.message }, 'request failed');
    else if (problem.status >= 500) req.log?.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(problem.headers ?? {})) res.setHeader(k, v);
    // A body we refused without reading (401, 413, 415) is not drained: close instead of reading gigabytes.
    if (!req.complete) res.setHeader('Connection', 'close');
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify(problemBody(problem, req.originalUrl, (req as { id?: string }).id)));
  };
  app.use(onError);
  return app;
}

export type { ProblemKind };
