/**
 * What keeps the Job rows true when workers die or pg-boss ends a job behind our back: stale jobs go back to
 * pg-boss, and every terminal state in pg-boss reaches our rows (with the handlers' hooks run once).
 */
import type PgBoss from 'pg-boss';
import { failureKindOfMessage, LOST_WORKER_MESSAGE } from './failure';
import { handlerOf, type WorkerEnv } from './run-job';
import { pruneGoneWorkers } from './worker-registry';
import type { JobState } from './types';

/** The message pg-boss stored with a failed job (`{message}` from boss.fail, or a handler's thrown error). */
function failureMessage(output: unknown): string | null {
  if (output && typeof output === 'object' && 'message' in output && typeof output.message === 'string')
    return output.message;
  return null;
}

/**
 * Jobs whose worker died (no heartbeat for jobStaleSeconds) are `lost`, and go back to pg-boss as failed attempts,
 * which retries them on any live worker; the UPDATE ... RETURNING claims each stale job exactly once. The message
 * names the worker (host, pid) when it is still known.
 */
export async function reapStaleJobs(boss: PgBoss, env: Pick<WorkerEnv, 'prisma' | 'logger' | 'config'>) {
  const { prisma, logger, config } = env;
  const stale = await prisma.$queryRaw<{ id: string; kind: string; error: string }[]>`
      UPDATE "Job" j SET state = 'lost', "failureKind" = 'lost-worker', "updatedAt" = now() AT TIME ZONE 'UTC',
        error = ${LOST_WORKER_MESSAGE} || coalesce(
          (SELECT ' (' || w.host || ', pid ' || w.pid || ')' FROM "Worker" w WHERE w.id = j."workerId"), '')
      WHERE state IN ('running', 'cancelling') AND "updatedAt" < now() AT TIME ZONE 'UTC' - make_interval(secs => ${config.jobStaleSeconds})
      RETURNING id::text, kind, error`.catch(() => []);
  for (const j of stale) {
    logger.warn({ jobId: j.id, kind: j.kind, err: j.error }, 'job lost its worker; retrying');
    await boss
      .fail(j.kind, j.id, { message: j.error })
      .catch((err) => logger.error({ err }, 'could not hand back a stale job'));
  }
  await pruneGoneWorkers(prisma, config.workerPruneSeconds);
}

type EndedJob = {
  id: string;
  kind: string;
  state: 'failed' | 'cancelled' | 'completed';
  output: unknown;
  data: Record<string, unknown>;
  failureKind: string | null;
};

/**
 * Every terminal state in pg-boss must reach our rows: a job whose last attempt was failed by the reaper or by
 * pg-boss's expiry, or that was cancelled or completed behind our back, ends here with the reason. The guarded
 * UPDATE claims each transition once, so one process runs the hooks.
 */
export async function reconcileEndedJobs(env: WorkerEnv): Promise<void> {
  const { prisma, logger } = env;
  const ended = await prisma.$queryRaw<EndedJob[]>`
      SELECT j.id::text, j.kind, b.state::text AS state, b.output, b.data, j."failureKind"
      FROM "Job" j
      JOIN (SELECT id, state, output, data FROM pgboss.job UNION ALL SELECT id, state, output, data FROM pgboss.archive) b ON b.id = j.id
      WHERE j.state IN ('queued', 'running', 'retrying', 'lost', 'cancelling') AND b.state IN ('failed', 'cancelled', 'completed')`.catch(
    (err) => {
      logger.error({ err }, 'could not read finished queue jobs');
      return [];
    },
  );
  for (const j of ended) {
    // A job still running here finishes through runJob; only rows nobody is working on are settled.
    if (env.controllers.has(j.id)) continue;
    const message = failureMessage(j.output) ?? (j.state === 'failed' ? 'failed in the queue' : null);
    const state: JobState = j.state;
    const failure = { error: message, failureKind: j.failureKind ?? failureKindOfMessage(message) };
    const claimed = await prisma.job.updateMany({
      where: { id: j.id, state: { in: ['queued', 'running', 'retrying', 'lost', 'cancelling'] } },
      data: { state, finishedAt: new Date(), ...(state === 'failed' ? failure : {}) },
    });
    if (claimed.count !== 1) continue;
    const handler = handlerOf(env, j.kind);
    logger.warn({ jobId: j.id, kind: j.kind, state, err: message }, 'job ended in the queue; rows updated');
    if (state === 'failed') await handler?.onFailed?.(j.data, message ?? 'failed', { prisma, logger });
    else if (state === 'cancelled') await handler?.onCancelled?.(j.data, { prisma, logger });
  }
}
