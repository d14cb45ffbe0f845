/**
 * One request, one result, one job: create-or-reuse a row keyed by its request hash together with the
 * job that computes it, atomically, for every idempotent route (alignment and comparison runs, SAE
 * training, experiments).
 *
 * Identical requests serialise on a transaction-scoped advisory lock keyed by the request hash; inside
 * it, a row that is queued, running or done is returned as it is, a failed or cancelled one is reset
 * and re-queued, and a missing one is created. The Job row and the pg-boss job are written in the same
 * transaction as the row, so a crash leaves either all of them or none.
 */
import type { Db, Prisma } from '../db/client';
import type { JobQueue } from '../queue/queue';
import type { JobKind } from '../queue/types';

type Tx = Prisma.TransactionClient;

/** Serialise transactions that share `key` (released at commit or rollback). */
export async function lockKey(tx: Tx, key: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))::text`;
}

/** How one table stores an idempotent result. */
export interface ResultStore<Row extends { id: string; status: string }> {
  find(tx: Tx): Promise<Row | null>;
  create(tx: Tx): Promise<Row>;
  /** Back to the queued state after a failure or cancellation. */
  reset(tx: Tx, id: string): Promise<Row>;
  attachJob(tx: Tx, id: string, jobId: string): Promise<Row>;
  /** The job's payload and its links to the row. */
  job(row: Row): { data: Record<string, unknown>; links: { runId?: string; saeId?: string } };
}

const RETRYABLE = new Set(['failed', 'cancelled']);

/**
 * Transaction limits for request-time creation: identical requests queue on the advisory lock while holding a
 * pooled connection, and under a burst (and a busy machine) Prisma's defaults (2 s to get a connection, 5 s
 * per transaction) would turn that waiting into 500s.
 */
export const TRANSACTION_WAIT = { maxWait: 30_000, timeout: 120_000 } as const;

export async function createOrReuse<Row extends { id: string; status: string }>(
  prisma: Db,
  jobs: JobQueue,
  kind: JobKind,
  requestHash: string,
  store: ResultStore<Row>,
): Promise<{ row: Row; reused: boolean }> {
  return prisma.$transaction((tx) => createOrReuseIn(tx, jobs, kind, requestHash, store), TRANSACTION_WAIT);
}

/**
 * createOrReuse inside the caller's transaction (a study creates all its runs and jobs in one).
 * @param order queue order among jobs created together (see JobQueue.enqueue).
 */
export async function createOrReuseIn<Row extends { id: string; status: string }>(
  tx: Tx,
  jobs: JobQueue,
  kind: JobKind,
  requestHash: string,
  store: ResultStore<Row>,
  order = 0,
): Promise<{ row: Row; reused: boolean }> {
  await lockKey(tx, `${kind}:${requestHash}`);
  const existing = await store.find(tx);
  if (existing && !RETRYABLE.has(existing.status)) return { row: existing, reused: true };
  const row = existing ? await store.reset(tx, existing.id) : await store.create(tx);
  const { data, links } = store.job(row);
  const jobId = await jobs.enqueue(kind, data, links, tx, order);
  return { row: await store.attachJob(tx, row.id, jobId), reused: existing !== null };
}
