import type { Request, Response } from 'express';
import type { Progress } from '../../progress';
import type { FailureKind } from '../../queue/types';
import { cancelJob, getJob, type JobState, type JobView, pollJob } from '../../services/jobs';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { streamPolled } from '../sse';
import { IdParams, UuidSchema } from '../schemas/common';

export const JobStateSchema = z
  .enum(['queued', 'running', 'retrying', 'lost', 'completed', 'failed', 'cancelling', 'cancelled'])
  .openapi('JobState', {
    description:
      'retrying: an attempt failed and the job waits for its next try (retryAt); lost: its worker stopped heart-beating (killed, machine gone) and the job waits for a retry on any live worker (retryAt)',
  });

export const FailureSchema = z
  .object({
    kind: z.enum(['lost-worker', 'out-of-memory', 'missing-artefact', 'invalid-data', 'internal']).openapi({
      description:
        'lost-worker: the worker stopped heart-beating; out-of-memory: an allocation failed; missing-artefact: a stored file is missing or corrupt; invalid-data: the data did not pass validation; internal: anything else',
    }),
    message: z.string(),
  })
  .openapi('JobFailure', { description: 'Why the latest attempt failed (also while the job is retried)' });

export const JobProgressSchema = z
  .object({
    stage: z.string(),
    done: z.number(),
    total: z.number(),
    fraction: z.number().min(0).max(1),
    message: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi('JobProgress');

export const JobSchema = z
  .object({
    id: UuidSchema,
    kind: z.string(),
    state: JobStateSchema,
    progress: JobProgressSchema.nullable(),
    error: z.string().nullable(),
    failure: FailureSchema.nullable(),
    retryAt: z.string().datetime().nullable().openapi({
      description: 'retrying or lost: the earliest time the job runs again, on any live worker of its kind',
    }),
    workerId: UuidSchema.nullable().openapi({ description: 'The worker (GET /v1/workers) of the latest attempt' }),
    runId: UuidSchema.nullable(),
    saeId: UuidSchema.nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi('Job');

export function jobJson(j: JobView): z.infer<typeof JobSchema> {
  const p = j.progress as (Progress & { updatedAt?: string }) | null;
  return {
    id: j.id,
    kind: j.kind,
    state: j.state as JobState,
    progress: p ? { ...p, fraction: p.total > 0 ? Math.min(1, p.done / p.total) : 0 } : null,
    error: j.error,
    failure: j.error ? { kind: (j.failureKind ?? 'internal') as FailureKind, message: j.error } : null,
    retryAt: j.retryAt?.toISOString() ?? null,
    workerId: j.workerId,
    runId: j.runId,
    saeId: j.saeId,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

function streamJobEvents(ctx: AppContext, id: string, req: Request, res: Response): Promise<void> {
  return streamPolled(req, res, async () => {
    const now = await pollJob(ctx.prisma, id);
    return now && { body: jobJson(now.job), terminal: now.terminal };
  });
}

export function jobRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/jobs/{id}',
      operationId: 'getJob',
      summary: 'Job state, progress and error',
      tags: ['jobs'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'The job', schema: JobSchema } },
      handler: async ({ params }) => ({ body: jobJson(await getJob(ctx.prisma, params.id)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/jobs/{id}/events',
      operationId: 'streamJobEvents',
      summary: 'Server-sent events: `progress` on every change, `end` at a terminal state (data: the Job)',
      tags: ['jobs'],
      access: 'read',
      params: IdParams,
      responses: { 200: { description: 'text/event-stream of Job objects', contentType: 'text/event-stream' } },
      handler: async ({ params, req, res }) => {
        await getJob(ctx.prisma, params.id);
        await streamJobEvents(ctx, params.id, req, res);
        return undefined;
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/jobs/{id}',
      operationId: 'cancelJob',
      summary: 'Cancel a queued or running job (its run or SAE ends as cancelled, with no results)',
      tags: ['jobs'],
      access: 'write',
      params: IdParams,
      responses: { 202: { description: 'Cancellation accepted or already final', schema: JobSchema } },
      problems: [503],
      handler: async ({ params }) => {
        if (!ctx.jobs) {
          await getJob(ctx.prisma, params.id);
          throw new HttpProblem('unavailable', 'this process has no job queue');
        }
        return { status: 202, body: jobJson(await cancelJob(ctx.prisma, ctx.jobs, params.id)) };
      },
    }),
  ];
}
