import type { Request, Response } from 'express';
import type { Progress } from '../../progress';
import { cancelJob, getJob, type Job, type JobState, pollJob } from '../../services/jobs';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { HttpProblem } from '../problem';
import { defineRoute, type RouteSpec } from '../route';
import { streamPolled } from '../sse';
import { IdParams, UuidSchema } from '../schemas/common';

export const JobStateSchema = z
  .enum(['queued', 'running', 'retrying', 'completed', 'failed', 'cancelling', 'cancelled'])
  .openapi('JobState');

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
    runId: UuidSchema.nullable(),
    saeId: UuidSchema.nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi('Job');

export function jobJson(j: Job): z.infer<typeof JobSchema> {
  const p = j.progress as (Progress & { updatedAt?: string }) | null;
  return {
    id: j.id,
    kind: j.kind,
    state: j.state as JobState,
    progress: p ? { ...p, fraction: p.total > 0 ? Math.min(1, p.done / p.total) : 0 } : null,
    error: j.error,
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
