import { type ServiceHealth, serviceHealth } from '../../services/health';
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
      error: z.string().optional().openapi({
        description:
          'When down: why, in a fixed sentence (no host, port or path), e.g. "the database server refused the connection (not running?)"',
      }),
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
    workers: z
      .object({ live: z.number().int(), gone: z.number().int(), runningJobs: z.number().int() })
      .optional()
      .openapi({
        description:
          'Processes that run jobs: live (heart-beating), gone (silent for longer than ALIGN_JOB_STALE_SECONDS), and the jobs the live ones run; GET /v1/workers lists them',
      }),
    queue: z
      .object({
        waiting: z.number().int(),
        running: z.number().int(),
        lost: z.number().int(),
        oldestWaitingSeconds: z.number().nullable(),
      })
      .optional()
      .openapi({ description: 'Jobs of every kind: waiting for a worker, running, lost with their worker' }),
  })
  .openapi('Health');

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
        503: { description: 'Database unreachable (database.error says why)', schema: HealthSchema },
      },
      handler: async () => {
        const body: z.infer<typeof HealthSchema> & ServiceHealth = await serviceHealth(ctx.prisma, ctx);
        return { status: body.database.status === 'up' ? 200 : 503, body };
      },
    }),
  ];
}
