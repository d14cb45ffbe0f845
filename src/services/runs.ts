/** Alignment and comparison runs: created or reused by request hash, each with the job that computes it; their terminal states. */
import type { Db, Prisma } from '../db/client';
import type { JobQueue } from '../queue/queue';
import type { JobKind } from '../queue/types';
import { createOrReuse, type ResultStore } from './idempotent';

export interface QueuedRun {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId: string | null;
  reused: boolean;
  links: { run: string; job: string | null; events: string | null };
}

export function runLinks(runId: string, jobId: string | null): QueuedRun['links'] {
  return {
    run: `/v1/runs/${runId}`,
    job: jobId ? `/v1/jobs/${jobId}` : null,
    events: jobId ? `/v1/jobs/${jobId}/events` : null,
  };
}

const select = { id: true, status: true, jobId: true } as const;

export async function createOrReuseRun(
  prisma: Db,
  jobs: JobQueue,
  kind: JobKind,
  requestHash: string,
  data: Omit<Prisma.RunUncheckedCreateInput, 'requestHash'>,
): Promise<QueuedRun> {
  const { row, reused } = await createOrReuse(prisma, jobs, kind, requestHash, runStore(requestHash, data));
  return { ...row, reused, links: runLinks(row.id, row.jobId) };
}

/** How the Run table stores an idempotent result (also used by studies for their cells). */
export function runStore(
  requestHash: string,
  data: Omit<Prisma.RunUncheckedCreateInput, 'requestHash'>,
): ResultStore<{ id: string; status: QueuedRun['status']; jobId: string | null }> {
  return {
    find: (tx) => tx.run.findUnique({ where: { requestHash }, select }),
    create: (tx) => tx.run.create({ data: { ...data, requestHash }, select }),
    reset: (tx, id) =>
      tx.run.update({
        where: { id },
        data: { status: 'queued', error: null, startedAt: null, finishedAt: null },
        select,
      }),
    attachJob: (tx, id, jobId) => tx.run.update({ where: { id }, data: { jobId }, select }),
    job: (r) => ({ data: { runId: r.id }, links: { runId: r.id } }),
  };
}

/** Runs whose job failed after its last try. */
export async function markRunsFailed(prisma: Db, runIds: string[], error: string): Promise<void> {
  await prisma.run.updateMany({
    where: { id: { in: runIds } },
    data: { status: 'failed', error, finishedAt: new Date() },
  });
}

/** Runs whose job was cancelled, while queued or running (a finished run keeps its state). */
export async function markRunsCancelled(prisma: Db, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await prisma.run.updateMany({
    where: { id: { in: runIds }, status: { in: ['queued', 'running'] } },
    data: { status: 'cancelled', finishedAt: new Date() },
  });
}
