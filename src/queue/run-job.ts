/**
 * One attempt of one job on this worker: the Job row's state around the handler, throttled progress writes,
 * a heartbeat that also carries cancellation, and what a failed, cancelled or interrupted attempt leaves.
 */
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import { databaseUnavailableReason, retryWhileDatabaseDown } from '../db/availability';
import type { Db } from '../db/client';
import type { Progress } from '../progress';
import { failureKindOf } from './failure';
import { type FailureKind, JobCancelledError, type JobHandler, type JobKind, type JobState } from './types';

const PROGRESS_WRITE_INTERVAL_MS = 250;
export const CANCEL_POLL_MS = 1000;
/** How often one attempt is run again on this worker after the database went away under it (then it fails). */
const OUTAGE_RERUNS = 10;

/** What every attempt on this worker shares. */
export interface WorkerEnv {
  prisma: Db;
  config: Config;
  logger: Logger;
  backend: BackendInfo;
  handlers: Partial<Record<JobKind, JobHandler<never>>>;
  /** Running jobs of this process, by id (cancel() aborts them; reconcile leaves them alone). */
  controllers: Map<string, AbortController>;
  /** Aborted when this worker stops. */
  stopping: AbortSignal;
  /** This process's row in the Worker table (absent in a process that runs no jobs). */
  workerId?: string;
}

export type BossJob = PgBoss.JobWithMetadata<Record<string, unknown>>;

export function handlerOf(env: Pick<WorkerEnv, 'handlers'>, kind: string) {
  return env.handlers[kind as JobKind] as JobHandler<Record<string, unknown>> | undefined;
}

export async function setJobState(
  prisma: Db,
  id: string,
  state: JobState,
  extra: { error?: string | null; failureKind?: FailureKind | null; finished?: boolean } = {},
): Promise<void> {
  await prisma.job.update({
    where: { id },
    data: {
      state,
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.failureKind !== undefined ? { failureKind: extra.failureKind } : {}),
      ...(extra.finished ? { finishedAt: new Date() } : {}),
    },
  });
}

/**
 * Progress into the Job row: at most every PROGRESS_WRITE_INTERVAL_MS, at once on a new stage or the last
 * unit; writes run one after another and `settle` waits for the last.
 */
function progressWriter(prisma: Db, jobId: string) {
  let lastWrite = 0;
  let lastStage = '';
  let pending: Progress | null = null;
  let writing: Promise<unknown> = Promise.resolve();
  const flush = () => {
    if (!pending) return;
    const p = pending;
    pending = null;
    lastWrite = Date.now();
    writing = writing.then(() =>
      prisma.job
        .update({ where: { id: jobId }, data: { progress: { ...p, updatedAt: new Date().toISOString() } } })
        .catch(() => undefined),
    );
  };
  return {
    report(p: Progress): void {
      pending = p;
      if (p.stage !== lastStage || Date.now() - lastWrite >= PROGRESS_WRITE_INTERVAL_MS || p.done === p.total) {
        lastStage = p.stage;
        flush();
      }
    },
    async settle(): Promise<void> {
      flush();
      await writing;
    },
  };
}

/**
 * Heartbeat (updatedAt) so that reapers elsewhere know this worker is alive; cancellation arrives through
 * the same row (any process may receive the DELETE).
 */
function startHeartbeat(prisma: Db, jobId: string, controller: AbortController): NodeJS.Timeout {
  return setInterval(async () => {
    const r = await prisma.job
      .update({ where: { id: jobId }, data: { updatedAt: new Date() }, select: { state: true } })
      .catch(() => null);
    if (r?.state === 'cancelling') controller.abort(new JobCancelledError('cancelled'));
  }, CANCEL_POLL_MS);
}

/** A job cancelled before it started here: settle its rows without running it. */
async function skipCancelled(env: WorkerEnv, handler: JobHandler<Record<string, unknown>>, job: BossJob) {
  const { prisma, logger } = env;
  const row = await prisma.job.findUnique({ where: { id: job.id } });
  if (row && row.state !== 'cancelled' && row.state !== 'cancelling') return false;
  if (row) {
    await setJobState(prisma, job.id, 'cancelled', { finished: true });
    await handler.onCancelled?.(job.data, { prisma, logger });
  }
  return true;
}

/**
 * The Job row's writes around an attempt wait while the database is unavailable (until this worker stops):
 * a result written just before an outage is not lost because its state could not be recorded.
 */
function patiently<T>(env: WorkerEnv, fn: () => Promise<T>): Promise<T> {
  return retryWhileDatabaseDown(fn, { signal: env.stopping });
}

/** Run one attempt; a thrown error hands the attempt back to pg-boss (retry or final failure). */
export async function runJob(env: WorkerEnv, kind: JobKind, job: BossJob): Promise<void> {
  const { prisma } = env;
  const handler = handlerOf(env, kind);
  if (!handler) throw new Error(`no handler for job kind ${kind}`);
  if (await patiently(env, () => skipCancelled(env, handler, job))) return;
  const controller = new AbortController();
  env.controllers.set(job.id, controller);
  const onStop = () => controller.abort(new JobCancelledError('worker stopping'));
  env.stopping.addEventListener('abort', onStop);
  const progress = progressWriter(prisma, job.id);
  const heartbeat = startHeartbeat(prisma, job.id, controller);
  try {
    await runHandler(env, handler, kind, job, controller.signal, progress.report);
    await progress.settle();
    await patiently(env, () =>
      setJobState(prisma, job.id, 'completed', { error: null, failureKind: null, finished: true }),
    );
  } catch (err) {
    await progress.settle();
    await endFailedAttempt(env, handler, kind, job, controller.signal, err);
  } finally {
    clearInterval(heartbeat);
    env.stopping.removeEventListener('abort', onStop);
    env.controllers.delete(job.id);
  }
}

/**
 * The handler, run again on this worker (same attempt: no retry is used up) when it failed because the
 * database became unavailable: once the database answers again. Its results are written in one transaction,
 * so a run cut short left none, and a second run replaces any.
 */
async function runHandler(
  env: WorkerEnv,
  handler: JobHandler<Record<string, unknown>>,
  kind: JobKind,
  job: BossJob,
  signal: AbortSignal,
  progress: (p: Progress) => void,
): Promise<void> {
  const { prisma, logger, config } = env;
  for (let rerun = 0; ; rerun++) {
    try {
      await patiently(env, () =>
        prisma.job.update({
          where: { id: job.id },
          data: { state: 'running', error: null, failureKind: null, workerId: env.workerId ?? null },
        }),
      );
      await handler.run(job.data, {
        jobId: job.id,
        attempt: job.retryCount + 1,
        prisma,
        config,
        logger: logger.child({ jobId: job.id, kind }),
        backend: env.backend,
        signal,
        progress,
      });
      return;
    } catch (err) {
      const why = databaseUnavailableReason(err);
      if (!why || signal.aborted || rerun >= OUTAGE_RERUNS) throw err;
      logger.warn({ jobId: job.id, kind, err: why }, 'database unavailable during a job; waiting');
      await patiently(env, () => prisma.$queryRaw`SELECT 1`);
      logger.info({ jobId: job.id, kind }, 'database back; running the job again');
    }
  }
}

/**
 * After a thrown attempt: a cancelled job ends here (nothing to retry); a stopping worker leaves it to pg-boss;
 * otherwise the job is retrying, or failed after its last try. Domain rows (run, SAE) first, then the job:
 * whoever sees the job ended sees its rows ended too.
 */
async function endFailedAttempt(
  env: WorkerEnv,
  handler: JobHandler<Record<string, unknown>>,
  kind: JobKind,
  job: BossJob,
  signal: AbortSignal,
  err: unknown,
): Promise<void> {
  const { prisma, logger } = env;
  const message = err instanceof Error ? err.message : String(err);
  if (signal.aborted && !env.stopping.aborted) {
    await patiently(env, async () => handler.onCancelled?.(job.data, { prisma, logger }));
    await patiently(env, () => setJobState(prisma, job.id, 'cancelled', { finished: true }));
    return; // completing the pg-boss job: nothing to retry
  }
  if (env.stopping.aborted) throw err; // leave it to pg-boss: retried elsewhere or after restart
  const last = job.retryCount >= job.retryLimit;
  const failureKind = failureKindOf(err);
  logger.warn(
    { jobId: job.id, kind, attempt: job.retryCount + 1, err: message, failureKind, last },
    'job attempt failed',
  );
  if (last) await patiently(env, async () => handler.onFailed?.(job.data, message, { prisma, logger }));
  await patiently(env, () =>
    setJobState(prisma, job.id, last ? 'failed' : 'retrying', { error: message, failureKind, finished: last }),
  );
  throw err;
}
