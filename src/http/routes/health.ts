import { linalgInfo, nativeNotice } from '../../compute/linalg/index';
import { SERVICE_VERSION } from '../../version';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeSeconds: z.number(),
    database: z.object({
      status: z.enum(['up', 'down']),
      embedded: z.boolean(),
      mode: z.enum(['external', 'embedded', 'embedded (attached)', 'embedded (restarted orphan)']).openapi({
        description:
          'external (DATABASE_URL); embedded (started by this process); embedded (attached) to the server of another live process on the same data directory; embedded (restarted orphan): a server left by a killed service was stopped and started again',
      }),
      latencyMs: z.number().nullable(),
      error: z.string().optional(),
    }),
    compute: z.object({
      backend: z
        .string()
        .openapi({ description: 'Active tensor backend rung: tensorflow-gpu, tensorflow, wasm or cpu' }),
      tfjsVersion: z.string(),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
      native: z
        .object({
          native: z.boolean(),
          blas: z.string().optional(),
          threads: z.number().optional(),
          reason: z.string().optional(),
          cause: z.enum(['not-built', 'load-failed', 'env', 'runtime']).optional(),
          notice: z.string().optional().openapi({
            description: 'When the native path is off: the expected slowdown and what to do, in one sentence',
          }),
        })
        .openapi({
          description:
            'The OpenBLAS/LAPACKE addon used for GEMM, eigendecomposition and sparse products (else TypeScript/TensorFlow.js fallbacks)',
        }),
      cuda: z
        .object({
          available: z.boolean(),
          reason: z.string().optional(),
          libs: z.record(z.string(), z.string()).optional(),
          device: z
            .object({
              name: z.string(),
              computeCapability: z.string(),
              memoryBytes: z.number(),
              runtimeVersion: z.number(),
              driverVersion: z.number(),
            })
            .optional(),
          searched: z.array(z.string()).optional(),
        })
        .openapi({
          description:
            'The GPU path (cuBLAS, cuSOLVER, cuSPARSE opened at run time): the device in use, or why it is not used',
        }),
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

type Compute = z.infer<typeof HealthSchema>['compute'];

/** The native path without file paths, and with the plain-words notice when it is off. */
function nativeHealth(info: Compute['native']): Compute['native'] {
  const notice = nativeNotice(info);
  return {
    ...info,
    ...(info.reason === undefined ? {} : { reason: hideAbsolutePaths(info.reason) }),
    ...(notice ? { notice } : {}),
  };
}

/** The CUDA libraries found and the folders searched, by name only. */
function cudaWithoutPaths(info: Compute['cuda']): Compute['cuda'] {
  return {
    ...info,
    ...(info.reason !== undefined ? { reason: hideAbsolutePaths(info.reason) } : {}),
    ...(info.libs
      ? { libs: Object.fromEntries(Object.entries(info.libs).map(([k, v]) => [k, hideAbsolutePaths(v)])) }
      : {}),
    ...(info.searched ? { searched: info.searched.map(hideAbsolutePaths) } : {}),
  };
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
      responses: {
        200: { description: 'Healthy', schema: HealthSchema },
        503: { description: 'Database unreachable', schema: HealthSchema },
      },
      handler: async () => {
        const t0 = performance.now();
        let database: z.infer<typeof HealthSchema>['database'];
        try {
          await ctx.prisma.$queryRaw`SELECT 1`;
          database = {
            status: 'up',
            embedded: ctx.embeddedDatabase,
            mode: ctx.databaseMode,
            latencyMs: Math.round((performance.now() - t0) * 100) / 100,
          };
        } catch (err) {
          database = {
            status: 'down',
            embedded: ctx.embeddedDatabase,
            mode: ctx.databaseMode,
            latencyMs: null,
            error: (err as Error).message.split('\n')[0],
          };
        }
        const { cuda, ...native } = linalgInfo();
        const body: z.infer<typeof HealthSchema> = {
          status: database.status === 'up' ? 'ok' : 'degraded',
          version: SERVICE_VERSION,
          uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
          database,
          compute: {
            backend: ctx.backend.name,
            tfjsVersion: ctx.backend.tfjsVersion,
            skipped: ctx.backend.skipped.map((s) => ({ name: s.name, reason: hideAbsolutePaths(s.reason) })),
            native: nativeHealth(native),
            cuda: cudaWithoutPaths(cuda),
          },
        };
        return { status: database.status === 'up' ? 200 : 503, body };
      },
    }),
  ];
}
