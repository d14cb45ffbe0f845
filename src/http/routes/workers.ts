import { type WorkersAndQueue, workersAndQueue } from '../../services/workers';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { UuidSchema } from '../schemas/common';
import { JobStateSchema } from './jobs';

const WorkerJobSchema = z
  .object({
    id: UuidSchema,
    kind: z.string(),
    state: JobStateSchema,
    stage: z.string().nullable(),
    done: z.number().nullable(),
    total: z.number().nullable(),
  })
  .openapi('WorkerJob');

const WorkerSchema = z
  .object({
    id: UuidSchema,
    host: z.string(),
    pid: z.number().int(),
    version: z.string(),
    slots: z.number().int().openapi({ description: 'Jobs of each kind this process runs at once (ALIGN_WORKERS)' }),
    status: z.enum(['live', 'gone']).openapi({
      description:
        'gone: no heartbeat for goneAfterSeconds (killed, machine lost); its running jobs are lost and retried',
    }),
    startedAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    lastSeenSecondsAgo: z.number(),
    jobs: z.array(WorkerJobSchema).openapi({ description: 'Running, being cancelled, or lost with this worker' }),
  })
  .openapi('Worker');

const QueueKindSchema = z
  .object({
    kind: z.string(),
    waiting: z.number().int().openapi({ description: 'Queued, or back in the queue after a failed or lost attempt' }),
    running: z.number().int(),
    lost: z.number().int().openapi({ description: 'Waiting for a retry because their worker vanished' }),
    oldestWaitingSince: z.string().datetime().nullable(),
    oldestWaitingSeconds: z.number().nullable(),
  })
  .openapi('QueueKind');

export const WorkersSchema = z
  .object({
    workers: z.array(WorkerSchema),
    queue: z.array(QueueKindSchema).openapi({ description: 'One entry per job kind' }),
    goneAfterSeconds: z.number().openapi({
      description: 'A worker silent this long is gone and its jobs are lost (ALIGN_JOB_STALE_SECONDS)',
    }),
    pruneAfterSeconds: z.number().openapi({
      description: 'A gone worker leaves this list after this long (ALIGN_WORKER_PRUNE_SECONDS)',
    }),
  })
  .openapi('Workers');

function workersJson(w: WorkersAndQueue): z.infer<typeof WorkersSchema> {
  return {
    ...w,
    workers: w.workers.map((x) => ({
      ...x,
      startedAt: x.startedAt.toISOString(),
      lastSeenAt: x.lastSeenAt.toISOString(),
    })),
    queue: w.queue.map((q) => ({ ...q, oldestWaitingSince: q.oldestWaitingSince?.toISOString() ?? null })),
  };
}

export function workerRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/workers',
      operationId: 'listWorkers',
      summary: 'Workers (host, pid, started, last seen, current jobs and stages) and the queue per job kind',
      tags: ['jobs'],
      access: 'read',
      responses: { 200: { description: 'Workers and queue', schema: WorkersSchema } },
      handler: async () => ({ body: workersJson(await workersAndQueue(ctx.prisma, ctx.config)) }),
    }),
  ];
}
