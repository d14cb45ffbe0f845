import type { Request, Response } from 'express';
import { TERMINAL_STATES, type JobState } from '../../queue/types';
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

type JobRow = {
  id: string;
  kind: string;
  state: string;
  progress: unknown;
  error: string | null;
  runId: string | null;
  saeId: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
};

export function jobJson(j: JobRow): z.infer<typeof JobSchema> {
  const p = j.progress as { stage: string; done: number; total: number; message?: string; updatedAt?: string } | null;
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
    const row = await ctx.prisma.job.findUnique({ where: { id } });
    if (!row) return null;
    const body = jobJson(row);
    return { body, terminal: TERMINAL_STATES.includes(body.state) };
  });
}

export function jobRoutes(ctx: AppContext): RouteSpec[] {
  const find = async (id: string) => {
    const row = await ctx.prisma.job.findUnique({ where: { id } });
    if (!row) throw HttpProblem.notFound('job', id);
    return row;
  };
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
      handler: async ({ params }) => ({ body: jobJson(await find(params.id)) }),
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
        await find(params.id);
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
        await find(params.id);
        if (!ctx.jobs) throw new HttpProblem('unavailable', 'this process has no job queue');
        await ctx.jobs.cancel(params.id);
        return { status: 202, body: jobJson(await find(params.id)) };
      },
    }),
  ];
}
