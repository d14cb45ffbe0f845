/** What pg-boss knows that our rows do not: when a job waiting for a retry may start again. */
import type { Db } from '../db/client';

/**
 * The earliest time each job may be fetched again (pg-boss's start_after of a job in `retry`), by job id; jobs not
 * waiting for a retry are absent. Any live worker of the job's kind takes it from then on.
 */
export async function retryTimes(prisma: Db, ids: readonly string[]): Promise<Map<string, Date>> {
  if (!ids.length) return new Map();
  const rows = await prisma.$queryRaw<{ id: string; startAfter: Date }[]>`
      SELECT id::text, start_after AS "startAfter" FROM pgboss.job
      WHERE id = ANY(${ids}::uuid[]) AND state = 'retry'`.catch(() => []);
  return new Map(rows.map((r) => [r.id, r.startAfter]));
}
