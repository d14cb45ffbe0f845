/** Create-or-reuse a run by request hash and make sure a job is working on it. Shared by alignments and comparisons. */
import type { Prisma } from '../../generated/prisma/client';
import type { JobKind } from '../../jobs/types';
import type { AppContext } from '../context';

export interface QueuedRun {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId: string | null;
  reused: boolean;
  links: { run: string; job: string | null; events: string | null };
}

function links(runId: string, jobId: string | null) {
  return { run: `/v1/runs/${runId}`, job: jobId ? `/v1/jobs/${jobId}` : null, events: jobId ? `/v1/jobs/${jobId}/events` : null };
}

export async function enqueueRun(ctx: AppContext, kind: JobKind, requestHash: string, data: Omit<Prisma.RunUncheckedCreateInput, 'requestHash'>): Promise<QueuedRun> {
  const existing = await ctx.prisma.run.findUnique({ where: { requestHash }, select: { id: true, status: true, jobId: true } });
  if (existing && existing.status !== 'failed' && existing.status !== 'cancelled') {
    return { ...existing, reused: true, links: links(existing.id, existing.jobId) };
  }
  const run = existing
    ? await ctx.prisma.run.update({ where: { id: existing.id }, data: { status: 'queued', error: null, startedAt: null, finishedAt: null } })
    : await ctx.prisma.run
        .create({ data: { ...data, requestHash } })
        .catch(async (err) => {
          // Two identical requests at once: the loser reuses the winner's run.
          const winner = await ctx.prisma.run.findUnique({ where: { requestHash } });
          if (!winner) throw err;
          return winner;
        });
  if (run.jobId && run.status !== 'queued') return { id: run.id, status: run.status, jobId: run.jobId, reused: true, links: links(run.id, run.jobId) };
  const jobId = await ctx.jobs!.enqueue(kind, { runId: run.id }, { runId: run.id });
  await ctx.prisma.run.update({ where: { id: run.id }, data: { jobId } });
  return { id: run.id, status: 'queued', jobId, reused: existing !== null, links: links(run.id, jobId) };
}
