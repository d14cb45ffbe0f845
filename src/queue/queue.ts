/**
 * The job queue: pg-boss on the service's own Postgres (retries, expiry, many workers on many
 * machines), plus our `Job` row per job holding the public state and progress that HTTP reads.
 * Running jobs send a heartbeat through their Job row; a job whose worker died (killed, machine lost)
 * is handed back to pg-boss by a reaper in any live process after ALIGN_JOB_STALE_SECONDS and retried
 * (pg-boss expiry, ALIGN_JOB_EXPIRE_SECONDS, stays as a backstop). Handlers write their results in one transaction at the
 * end, so a retried job still ends with exactly one set of results.
 */
import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import type { Db, Prisma } from '../db/client';
import type { Progress } from '../progress';
import { JOB_KINDS, JobCancelledError, type JobHandler, type JobKind, type JobState } from './types';

export interface JobQueue {
  /**
   * Queue a job; returns its id (also the id of its Job row). Given `tx`, the Job row and the pg-boss
   * job are written in that transaction: both exist exactly when the caller's rows commit.
   * `order`: among jobs queued at once (one transaction), lower runs first (a study's cells subject by subject).
   */
  enqueue(
    kind: JobKind,
    data: Record<string, unknown>,
    links?: { runId?: string; saeId?: string },
    tx?: Prisma.TransactionClient,
    order?: number,
  ): Promise<string>;
  /** Cancel a queued or running job; returns its new state. */
  cancel(jobId: string): Promise<JobState>;
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  databaseUrl: string;
  prisma: Db;
  config: Config;
  logger: Logger;
  backend: BackendInfo;
  handlers: Partial<Record<JobKind, JobHandler<never>>>;
  /** Workers per kind in this process (0: enqueue only). */
  workers: number;
}

const PROGRESS_WRITE_INTERVAL_MS = 250;

/** The message pg-boss stored with a failed job (`{message}` from boss.fail, or a handler's thrown error). */
function failureMessage(output: unknown): string | null {
  if (output && typeof output === 'object' && 'message' in output && typeof output.message === 'string')
    return output.message;
  return null;
}

/**
 * pg-boss's `db` option over a Prisma transaction, so that a job is sent in the same transaction as
 * the rows that refer to it. pg-boss passes node-postgres style values: JSON objects are sent as text
 * (its SQL casts them to jsonb) and `undefined` as NULL.
 */
function bossDb(tx: Prisma.TransactionClient): {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
} {
  return {
    async executeSql(text, values = []) {
      const args = values.map((v) =>
        v === undefined ? null : v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v,
      );
      return { rows: await tx.$queryRawUnsafe<unknown[]>(text, ...args) };
    },
  };
}
const CANCEL_POLL_MS = 1000;

export async function startJobQueue(opts: JobQueueOptions): Promise<JobQueue> {
  const { prisma, logger, config } = opts;
  const boss = new PgBoss({
    connectionString: opts.databaseUrl,
    max: 4,
    maintenanceIntervalSeconds: config.jobMaintenanceSeconds,
  });
  boss.on('error', (err) => logger.error({ err }, 'job queue error'));
  await boss.start();
  for (const kind of JOB_KINDS) {
    await boss.createQueue(kind, {
      name: kind,
      retryLimit: config.jobRetries,
      retryDelay: 2,
      expireInSeconds: config.jobExpireSeconds,
    });
  }

  const controllers = new Map<string, AbortController>();
  const stopping = new AbortController();

  async function setState(id: string, state: JobState, extra: { error?: string | null; finished?: boolean } = {}) {
    await prisma.job.update({
      where: { id },
      data: {
        state,
        ...(extra.error !== undefined ? { error: extra.error } : {}),
        ...(extra.finished ? { finishedAt: new Date() } : {}),
      },
    });
  }

  async function runOne(kind: JobKind, job: PgBoss.JobWithMetadata<Record<string, unknown>>): Promise<void> {
    const handler = opts.handlers[kind] as JobHandler<Record<string, unknown>> | undefined;
    if (!handler) throw new Error(`no handler for job kind ${kind}`);
    const row = await prisma.job.findUnique({ where: { id: job.id } });
    if (!row || row.state === 'cancelled' || row.state === 'cancelling') {
      if (row) {
        await setState(job.id, 'cancelled', { finished: true });
        await handler.onCancelled?.(job.data, { prisma, logger });
      }
      return;
    }
    const controller = new AbortController();
    controllers.set(job.id, controller);
    const onStop = () => controller.abort(new JobCancelledError('worker stopping'));
    stopping.signal.addEventListener('abort', onStop);
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
          .update({ where: { id: job.id }, data: { progress: { ...p, updatedAt: new Date().toISOString() } } })
          .catch(() => undefined),
      );
    };
    // Heartbeat (updatedAt) so reapers elsewhere know this worker is alive; cancellation arrives through
    // the same row (any process may receive the DELETE).
    const poll = setInterval(async () => {
      const r = await prisma.job
        .update({ where: { id: job.id }, data: { updatedAt: new Date() }, select: { state: true } })
        .catch(() => null);
      if (r?.state === 'cancelling') controller.abort(new JobCancelledError('cancelled'));
    }, CANCEL_POLL_MS);
    const attempt = job.retryCount + 1;
    try {
      await prisma.job.update({ where: { id: job.id }, data: { state: 'running', error: null } });
      await handler.run(job.data, {
        jobId: job.id,
        attempt,
        prisma,
        config,
        logger: logger.child({ jobId: job.id, kind }),
        backend: opts.backend,
        signal: controller.signal,
        progress(p) {
          pending = p;
          if (p.stage !== lastStage || Date.now() - lastWrite >= PROGRESS_WRITE_INTERVAL_MS || p.done === p.total) {
            lastStage = p.stage;
            flush();
          }
        },
      });
      flush();
      await writing;
      await setState(job.id, 'completed', { error: null, finished: true });
    } catch (err) {
      flush();
      await writing;
      const message = err instanceof Error ? err.message : String(err);
      // Domain rows (run, SAE) first, then the job: whoever sees the job ended sees its rows ended too.
      if (controller.signal.aborted && !stopping.signal.aborted) {
        await handler.onCancelled?.(job.data, { prisma, logger });
        await setState(job.id, 'cancelled', { finished: true });
        return; // completing the pg-boss job: nothing to retry
      }
      if (stopping.signal.aborted) throw err; // leave it to pg-boss: retried elsewhere or after restart
      const last = job.retryCount >= job.retryLimit;
      logger.warn({ jobId: job.id, kind, attempt, err: message, last }, 'job attempt failed');
      if (last) await handler.onFailed?.(job.data, message, { prisma, logger });
      await setState(job.id, last ? 'failed' : 'retrying', { error: message, finished: last });
      throw err;
    } finally {
      clearInterval(poll);
      stopping.signal.removeEventListener('abort', onStop);
      controllers.delete(job.id);
    }
  }

  // Jobs whose worker died (no heartbeat for jobStaleSeconds) go back to pg-boss as failed attempts,
  // which retries them on any live worker; the UPDATE ... RETURNING claims each stale job exactly once.
  const reap = async () => {
    const stale = await prisma.$queryRaw<{ id: string; kind: string }[]>`
      UPDATE "Job" SET state = 'retrying', error = 'worker stopped responding', "updatedAt" = now()
      WHERE state IN ('running', 'cancelling') AND "updatedAt" < now() - make_interval(secs => ${config.jobStaleSeconds})
      RETURNING id::text, kind`.catch(() => []);
    for (const j of stale) {
      logger.warn({ jobId: j.id, kind: j.kind }, 'job lost its worker; retrying');
      await boss
        .fail(j.kind, j.id, { message: 'worker stopped responding' })
        .catch((err) => logger.error({ err }, 'could not hand back a stale job'));
    }
  };

  // Every terminal state in pg-boss must reach our rows: a job whose last attempt was failed by the
  // reaper or by pg-boss's expiry, or that was cancelled or completed behind our back, ends here with
  // the reason. The guarded UPDATE claims each transition once, so one process runs the hooks.
  const reconcile = async () => {
    const ended = await prisma.$queryRaw<
      {
        id: string;
        kind: string;
        state: 'failed' | 'cancelled' | 'completed';
        output: unknown;
        data: Record<string, unknown>;
      }[]
    >`
      SELECT j.id::text, j.kind, b.state::text AS state, b.output, b.data
      FROM "Job" j
      JOIN (SELECT id, state, output, data FROM pgboss.job UNION ALL SELECT id, state, output, data FROM pgboss.archive) b ON b.id = j.id
      WHERE j.state IN ('queued', 'running', 'retrying', 'cancelling') AND b.state IN ('failed', 'cancelled', 'completed')`.catch(
      (err) => {
        logger.error({ err }, 'could not read finished queue jobs');
        return [];
      },
    );
    for (const j of ended) {
      // A job still running here finishes through runOne; only rows nobody is working on are settled.
      if (controllers.has(j.id)) continue;
      const message = failureMessage(j.output) ?? (j.state === 'failed' ? 'failed in the queue' : null);
      const state: JobState = j.state;
      const claimed = await prisma.job.updateMany({
        where: { id: j.id, state: { in: ['queued', 'running', 'retrying', 'cancelling'] } },
        data: { state, finishedAt: new Date(), ...(state === 'failed' ? { error: message } : {}) },
      });
      if (claimed.count !== 1) continue;
      const handler = opts.handlers[j.kind as JobKind] as JobHandler<Record<string, unknown>> | undefined;
      logger.warn({ jobId: j.id, kind: j.kind, state, err: message }, 'job ended in the queue; rows updated');
      if (state === 'failed') await handler?.onFailed?.(j.data, message ?? 'failed', { prisma, logger });
      else if (state === 'cancelled') await handler?.onCancelled?.(j.data, { prisma, logger });
    }
  };

  const reaper = setInterval(() => void reap().then(reconcile), Math.max(1000, (config.jobStaleSeconds * 1000) / 3));
  reaper.unref();

  if (opts.workers > 0) {
    for (const kind of JOB_KINDS) {
      if (!opts.handlers[kind]) continue;
      for (let w = 0; w < opts.workers; w++) {
        await boss.work<Record<string, unknown>>(
          kind,
          { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: config.jobPollSeconds },
          async (jobs) => {
            for (const job of jobs)
              await runOne(kind, job as unknown as PgBoss.JobWithMetadata<Record<string, unknown>>);
          },
        );
      }
    }
  }

  return {
    async enqueue(kind, data, links = {}, tx, order = 0) {
      const id = randomUUID();
      const send = async (db: Prisma.TransactionClient) => {
        await db.job.create({
          data: {
            id,
            kind,
            state: 'queued',
            runId: links.runId,
            saeId: links.saeId,
            progress: { stage: 'queued', done: 0, total: 1 },
          },
        });
        // pg-boss fetches by priority, then creation time (equal inside one transaction), then random id.
        await boss.send(kind, data, {
          id,
          priority: -order,
          retryLimit: config.jobRetries,
          retryDelay: 2,
          expireInSeconds: config.jobExpireSeconds,
          db: bossDb(db),
        });
      };
      if (tx) await send(tx);
      else await prisma.$transaction(send);
      return id;
    },
    async cancel(jobId) {
      const row = await prisma.job.findUnique({ where: { id: jobId } });
      if (!row) throw new Error(`job ${jobId} does not exist`);
      if (row.state === 'completed' || row.state === 'failed' || row.state === 'cancelled')
        return row.state as JobState;
      if (row.state === 'queued' || row.state === 'retrying') {
        // Not running anywhere: cancel in pg-boss and finish the domain rows here.
        await boss.cancel(row.kind, jobId).catch(() => undefined);
        const updated = await prisma.job.updateMany({
          where: { id: jobId, state: { in: ['queued', 'retrying'] } },
          data: { state: 'cancelled', finishedAt: new Date() },
        });
        if (updated.count === 1) {
          const handler = opts.handlers[row.kind as JobKind] as JobHandler<Record<string, unknown>> | undefined;
          const job = await boss.getJobById<Record<string, unknown>>(row.kind, jobId).catch(() => null);
          await handler?.onCancelled?.(job?.data ?? {}, { prisma, logger });
          return 'cancelled';
        }
      }
      // Running (here or on another machine): the worker notices within CANCEL_POLL_MS.
      await prisma.job.updateMany({ where: { id: jobId, state: 'running' }, data: { state: 'cancelling' } });
      controllers.get(jobId)?.abort(new JobCancelledError('cancelled'));
      const now = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true } });
      return (now?.state ?? 'cancelling') as JobState;
    },
    async stop() {
      clearInterval(reaper);
      stopping.abort();
      await boss.stop({ graceful: true, timeout: 10_000, wait: true });
    },
  };
}
