/**
 * Every process that runs jobs registers itself in the Worker table and beats a heartbeat (lastSeenAt), so that
 * any process can list the live workers and their jobs (GET /v1/workers). A clean stop deletes the row; a worker
 * that stopped beating is shown as gone after ALIGN_JOB_STALE_SECONDS and deleted after ALIGN_WORKER_PRUNE_SECONDS.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { SERVICE_VERSION } from '../version';

/** How often a worker writes lastSeenAt: a third of the interval after which it counts as gone, at most 10 s. */
export function workerHeartbeatMs(config: Pick<Config, 'jobStaleSeconds'>): number {
  return Math.max(500, Math.min(10_000, (config.jobStaleSeconds * 1000) / 3));
}

export interface RegisteredWorker {
  id: string;
  stop(): Promise<void>;
}

/**
 * Register this process and keep its row alive. The heartbeat is an upsert: a row pruned or lost while the
 * database was away comes back with the next beat.
 */
export async function registerWorker(
  prisma: Db,
  config: Pick<Config, 'jobStaleSeconds' | 'workers'>,
  logger: Logger,
  slots: number,
): Promise<RegisteredWorker> {
  const id = randomUUID();
  const row = { host: os.hostname(), pid: process.pid, version: SERVICE_VERSION };
  const startedAt = new Date();
  // The database's clock, not this machine's: "gone" is judged against it by every process.
  const beat = () =>
    prisma.$executeRaw`
      INSERT INTO "Worker" (id, host, pid, version, slots, "startedAt", "lastSeenAt")
      VALUES (${id}::uuid, ${row.host}, ${row.pid}, ${row.version}, ${slots},
        ${startedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
      ON CONFLICT (id) DO UPDATE SET "lastSeenAt" = now() AT TIME ZONE 'UTC'`.then(() => undefined);
  await beat();
  logger.info({ workerId: id, host: row.host, pid: row.pid, slots }, 'worker registered');
  let failing = false;
  const timer = setInterval(() => {
    beat().then(
      () => (failing = false),
      (err) => {
        if (!failing) logger.warn({ err }, 'worker heartbeat failed');
        failing = true;
      },
    );
  }, workerHeartbeatMs(config));
  timer.unref();
  return {
    id,
    async stop() {
      clearInterval(timer);
      await prisma.worker.deleteMany({ where: { id } }).catch(() => undefined);
    },
  };
}

/** Forget workers that have not beaten for pruneSeconds; returns how many. */
export async function pruneGoneWorkers(prisma: Db, pruneSeconds: number): Promise<number> {
  return prisma.$executeRaw`
      DELETE FROM "Worker" WHERE "lastSeenAt" < now() AT TIME ZONE 'UTC' - make_interval(secs => ${pruneSeconds})`.catch(
    () => 0,
  );
}
