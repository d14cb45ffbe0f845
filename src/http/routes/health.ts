import { linalgInfo } from '../../compute/linalg/index';
import { SERVICE_VERSION } from '../../version';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeSeconds: z.number(),
    database: z.object({ status: z.enum(['up', 'down']), embedded: z.boolean(), latencyMs: z.number().nullable(), error: z.string().optional() }),
    compute: z.object({
      backend: z.string().openapi({ description: 'Active tensor backend rung: tensorflow-gpu, tensorflow, wasm or cpu' }),
      tfjsVersion: z.string(),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
      native: z
        .object({ native: z.boolean(), blas: z.string().optional(), threads: z.number().optional(), reason: z.string().optional() })
        .openapi({ description: 'The OpenBLAS/LAPACKE addon used for GEMM, eigendecomposition and sparse products (else TypeScript/TensorFlow.js fallbacks)' }),
    }),
  })
  .openapi('Health');

/**
 * Health is public: it must not map the server's disk. Absolute paths in load errors (module resolution,
 * dlopen) are cut to their last segment; the logs keep the full text for operators.
 */
export function hideAbsolutePaths(text: string): string {
  return text.replace(/(?<![\w.])\/(?:[^\s'"/:]+\/)+([^\s'"/:]*)/g, '…/$1');
}

function nativeHealth(): z.infer<typeof HealthSchema>['compute']['native'] {
  const info = linalgInfo();
  return info.reason === undefined ? info : { ...info, reason: hideAbsolutePaths(info.reason) };
}

export function healthRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/health',
      operationId: 'getHealth',
      summary: 'Service health: database, compute backend, version, uptime',
      tags: ['health'],
      access: 'public',
      responses: { 200: { description: 'Healthy', schema: HealthSchema }, 503: { description: 'Database unreachable', schema: HealthSchema } },
      handler: async () => {
        const t0 = performance.now();
        let database: z.infer<typeof HealthSchema>['database'];
        try {
          await ctx.prisma.$queryRaw`SELECT 1`;
          database = { status: 'up', embedded: ctx.embeddedDatabase, latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
        } catch (err) {
          database = { status: 'down', embedded: ctx.embeddedDatabase, latencyMs: null, error: (err as Error).message.split('\n')[0] };
        }
        const body: z.infer<typeof HealthSchema> = {
          status: database.status === 'up' ? 'ok' : 'degraded',
          version: SERVICE_VERSION,
          uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
          database,
          compute: {
            backend: ctx.backend.name,
            tfjsVersion: ctx.backend.tfjsVersion,
            skipped: ctx.backend.skipped.map((s) => ({ name: s.name, reason: hideAbsolutePaths(s.reason) })),
            native: nativeHealth(),
          },
        };
        return { status: database.status === 'up' ? 200 : 503, body };
      },
    }),
  ];
}
