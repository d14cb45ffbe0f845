/**
 * The job queue: pg-boss on the service's own Postgres (retries, expiry, many workers on many
 * machines), plus our `Job` row per job holding the public state and progress that HTTP reads.
 * Running jobs send a heartbeat through their Job row; a job whose worker died (killed, machine lost)
 * is handed back to pg-boss by a reaper in any live process after ALIGN_JOB_STALE_SECONDS and retried
 * (pg-boss expiry, ALIGN_JOB_EXPIRE_SECONDS, stays as a backstop). Handlers write their results in one transaction at the
 * end, so a retried job still ends with exactly one set of results.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import { backoffMs, isDatabaseUnavailable, retryWhileDatabaseDown } from '../db/availability';
import type { Db, Prisma } from '../db/client';
import { reapStaleJobs, reconcileEndedJobs } from './reaper';
import { type BossJob, handlerOf, runJob, type WorkerEnv } from './run-job';
import { JOB_KINDS, JobCancelledError, type JobHandler, type JobKind, type JobState, WAITING_STATES } from './types';
import { type RegisteredWorker, registerWorker } from './worker-registry';

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

/**
 * pg-boss's connection: our own pool, whose statements wait while the database is unavailable (stopped,
 * restarting) and run again when it is back, until the queue stops. pg-boss completes and fails jobs without
 * awaiting them; with this, an outage delays those writes instead of rejecting them (which ended the process).
 */
function patientBossDb(databaseUrl: string, logger: Logger, stopping: AbortSignal) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'job queue connection lost'));
  return {
    pool,
    async executeSql(text: string, values?: unknown[]) {
      return retryWhileDatabaseDown(() => pool.query(text, values), {
        signal: stopping,
        onRetry: (err, attempt) => {
          if (attempt === 0) logger.warn({ err: (err as Error).message }, 'job queue: database unavailable; retrying');
        },
      });
    },
  };
}

// Our own advisory lock id (not pg-boss's or Prisma's): one process at a time starts pg-boss and creates queues.
const QUEUE_SETUP_LOCK = 72707370;
const DEADLOCK_DETECTED = '40P01';

/**
 * pg-boss started and our queues created. Creating a queue attaches a partition to pg-boss's job table; two
 * processes doing that at once (an API and its workers started together) can deadlock, and PostgreSQL then
 * aborts one of them, which ended that process. So the setup runs under a session advisory lock, creates only
 * the queues that are missing, and retries what PostgreSQL still aborts as a deadlock (with a process already
 * past its setup); create_queue is idempotent, so a retry is safe.
 */
async function startBoss(opts: JobQueueOptions, db: ReturnType<typeof patientBossDb>): Promise<PgBoss> {
  const { logger, config } = opts;
  // No cron schedules here: the timekeeper would only add a queue (created at every start) and a poller.
  const boss = new PgBoss({ db, schedule: false, maintenanceIntervalSeconds: config.jobMaintenanceSeconds });
  boss.on('error', (err) =>
    isDatabaseUnavailable(err)
      ? logger.warn({ err: err.message }, 'job queue: database unavailable')
      : logger.error({ err }, 'job queue error'),
  );
  const lock = new pg.Client({ connectionString: opts.databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [QUEUE_SETUP_LOCK]);
    // Not retried: a pg-boss whose start() threw stays 'starting' and ignores the next start().
    await boss.start();
    for (const kind of JOB_KINDS) {
      await retryOnDeadlock(async () => {
        if (await boss.getQueue(kind)) return;
        await boss.createQueue(kind, {
          name: kind,
          retryLimit: config.jobRetries,
          retryDelay: 2,
          expireInSeconds: config.jobExpireSeconds,
        });
      }, logger);
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [QUEUE_SETUP_LOCK]).catch(() => undefined);
    await lock.end();
  }
  return boss;
}

async function retryOnDeadlock<T>(fn: () => Promise<T>, logger: Logger, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= attempts) throw err;
      logger.warn({ attempt }, 'job queue setup: deadlock with another process; retrying');
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    }
  }
}

/** `opts.workers` workers per kind that has a handler, each running one job at a time. */
async function startWorkers(boss: PgBoss, env: WorkerEnv, workers: number): Promise<void> {
  for (const kind of JOB_KINDS) {
    if (!env.handlers[kind]) continue;
    for (let w = 0; w < workers; w++) {
      await boss.work<Record<string, unknown>>(
        kind,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: env.config.jobPollSeconds },
        async (jobs) => {
          for (const job of jobs) await runJob(env, kind, job as unknown as BossJob);
        },
      );
    }
  }
}

export async function startJobQueue(opts: JobQueueOptions): Promise<JobQueue> {
  const stopping = new AbortController();
  const db = patientBossDb(opts.databaseUrl, opts.logger, stopping.signal);
  const boss = await startBoss(opts, db).catch(async (err) => {
    await db.pool.end();
    throw err;
  });
  const env: WorkerEnv = {
    prisma: opts.prisma,
    config: opts.config,
    logger: opts.logger,
    backend: opts.backend,
    handlers: opts.handlers,
    controllers: new Map(),
    stopping: stopping.signal,
  };
  const reaper = startReaper(boss, env);
  let worker: RegisteredWorker | undefined;
  if (opts.workers > 0) {
    worker = await registerWorker(opts.prisma, opts.config, opts.logger, opts.workers);
    env.workerId = worker.id;
    await startWorkers(boss, env, opts.workers);
  }
  return {
    enqueue: (kind, data, links = {}, tx, order = 0) => enqueueJob(boss, env, { kind, data, links, tx, order }),
    cancel: (jobId) => cancelJob(boss, env, jobId),
    async stop() {
      clearInterval(reaper);
      stopping.abort();
      await boss.stop({ graceful: true, timeout: 10_000, wait: true });
      await worker?.stop();
      await db.pool.end();
    },
  };
}

/**
 * The reaper, every third of ALIGN_JOB_STALE_SECONDS. After the database was unavailable (or this process
 * started) it waits one full stale period before reaping, so that live workers' heartbeats, which could not
 * be written during the outage, arrive first: only jobs of workers that really died go back to the queue.
 */
function startReaper(boss: PgBoss, env: WorkerEnv): NodeJS.Timeout {
  const staleMs = env.config.jobStaleSeconds * 1000;
  let upSince: number | null = Date.now();
  const tick = async () => {
    try {
      await env.prisma.$queryRaw`SELECT 1`;
    } catch (err) {
      if (upSince !== null) env.logger.warn({ err: (err as Error).message }, 'database unavailable; reaper waits');
      upSince = null;
      return;
    }
    upSince ??= Date.now();
    if (Date.now() - upSince >= staleMs) await reapStaleJobs(boss, env);
    await reconcileEndedJobs(env);
  };
  const timer = setInterval(() => void tick().catch(() => undefined), Math.max(1000, staleMs / 3));
  timer.unref();
  return timer;
}

/** The Job row and the pg-boss job, in one transaction (the caller's `tx` when given). */
async function enqueueJob(
  boss: PgBoss,
  env: Pick<WorkerEnv, 'prisma' | 'config'>,
  job: {
    kind: JobKind;
    data: Record<string, unknown>;
    links: { runId?: string; saeId?: string };
    tx?: Prisma.TransactionClient;
    order: number;
  },
): Promise<string> {
  const { config } = env;
  const id = randomUUID();
  const send = async (db: Prisma.TransactionClient) => {
    await db.job.create({
      data: {
        id,
        kind: job.kind,
        state: 'queued',
        runId: job.links.runId,
        saeId: job.links.saeId,
        progress: { stage: 'queued', done: 0, total: 1 },
      },
    });
    // pg-boss fetches by priority, then creation time (equal inside one transaction), then random id.
    await boss.send(job.kind, job.data, {
      id,
      priority: -job.order,
      retryLimit: config.jobRetries,
      retryDelay: 2,
      expireInSeconds: config.jobExpireSeconds,
      db: bossDb(db),
    });
  };
  if (job.tx) await send(job.tx);
  else await env.prisma.$transaction(send);
  return id;
}

async function cancelJob(boss: PgBoss, env: WorkerEnv, jobId: string): Promise<JobState> {
  const { prisma, logger } = env;
  const row = await prisma.job.findUnique({ where: { id: jobId } });
  if (!row) throw new Error(`job ${jobId} does not exist`);
  if (row.state === 'completed' || row.state === 'failed' || row.state === 'cancelled') return row.state as JobState;
  if (WAITING_STATES.includes(row.state as JobState)) {
    // Not running anywhere: cancel in pg-boss and finish the domain rows here.
    await boss.cancel(row.kind, jobId).catch(() => undefined);
    const updated = await prisma.job.updateMany({
      where: { id: jobId, state: { in: [...WAITING_STATES] } },
      data: { state: 'cancelled', finishedAt: new Date() },
    });
    if (updated.count === 1) {
      const job = await boss.getJobById<Record<string, unknown>>(row.kind, jobId).catch(() => null);
      await handlerOf(env, row.kind)?.onCancelled?.(job?.data ?? {}, { prisma, logger });
      return 'cancelled';
    }
  }
  // Running (here or on another machine): the worker notices within CANCEL_POLL_MS.
  await prisma.job.updateMany({ where: { id: jobId, state: 'running' }, data: { state: 'cancelling' } });
  env.controllers.get(jobId)?.abort(new JobCancelledError('cancelled'));
  const now = await prisma.job.findUnique({ where: { id: jobId }, select: { state: true } });
  return (now?.state ?? 'cancelling') as JobState;
}
