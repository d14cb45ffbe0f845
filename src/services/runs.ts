/**
 * Create-or-reuse a run by its request hash, with the job that computes it, atomically: one request,
 * one run, one job, however many identical requests arrive at once.
 *
 * Identical requests serialise on a transaction-scoped advisory lock keyed by the request hash; inside
 * it, a run that is queued, running or succeeded is returned as it is, a failed or cancelled one is
 * reset and re-queued, and a missing one is created. The Job row and the pg-boss job are written in
 * the same transaction as the run, so a crash leaves either all of them or none.
 */
import type { Db, Prisma } from '../db/client';
import type { JobQueue } from '../jobs/queue';
import type { JobKind } from '../jobs/types';

export interface QueuedRun {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId: string | null;
  reused: boolean;
  links: { run: string; job: string | null; events: string | null };
}

export function runLinks(runId: string, jobId: string | null): QueuedRun['links'] {
  return { run: `/v1/runs/${runId}`, job: jobId ? `/v1/jobs/${jobId}` : null, events: jobId ? `/v1/jobs/${jobId}/events` : null };
}

/** Serialise transactions that share `key` (released at commit or rollback). */
export async function lockKey(tx: Prisma.TransactionClient, key: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))::text`;
}

/** Transaction limits for request-time creation (see createOrReuseRun). */
export const TRANSACTION_WAIT = { maxWait: 30_000, timeout: 120_000 } as const;

export async function createOrReuseRun(
  prisma: Db,
  jobs: JobQueue,
  kind: JobKind,
  requestHash: string,
  data: Omit<Prisma.RunUncheckedCreateInput, 'requestHash'>,
): Promise<QueuedRun> {
  // Identical requests queue on the advisory lock while holding a pooled connection: under a burst (and a
  // busy machine) Prisma's defaults (2 s to get a connection, 5 s per transaction) turn waiting into 500s.
  return prisma.$transaction((tx) => createOrReuseRunIn(tx, jobs, kind, requestHash, data), TRANSACTION_WAIT);
}

/**
 * createOrReuseRun inside the caller's transaction (a study creates its runs and jobs in one).
 * @param order queue order among jobs created together (see JobQueue.enqueue).
 */
export async function createOrReuseRunIn(
  tx: Prisma.TransactionClient,
  jobs: JobQueue,
  kind: JobKind,
  requestHash: string,
  data: Omit<Prisma.RunUncheckedCreateInput, 'requestHash'>,
  order = 0,
): Promise<QueuedRun> {
  await lockKey(tx, `run:${requestHash}`);
  const existing = await tx.run.findUnique({ where: { requestHash }, select: { id: true, status: true, jobId: true } });
  if (existing && existing.status !== 'failed' && existing.status !== 'cancelled') {
    return { ...existing, reused: true, links: runLinks(existing.id, existing.jobId) };
  }
  const run = existing
    ? await tx.run.update({ where: { id: existing.id }, data: { status: 'queued', error: null, startedAt: null, finishedAt: null } })
    : await tx.run.create({ data: { ...data, requestHash } });
  const jobId = await jobs.enqueue(kind, { runId: run.id }, { runId: run.id }, tx, order);
  await tx.run.update({ where: { id: run.id }, data: { jobId } });
  return { id: run.id, status: 'queued' as const, jobId, reused: existing !== null, links: runLinks(run.id, jobId) };
}
