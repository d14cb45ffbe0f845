/**
 * The queue you can see: the processes that run jobs (live, or gone when they stopped heart-beating), what each
 * is running, and per job kind how many jobs wait, how long the oldest has waited, and how many are running or
 * lost. Read from the Worker and Job tables, judged by the database's clock (one clock for every machine).
 */
import type { Config } from '../config';
import type { Db } from '../db/client';
import { JOB_KINDS, type JobKind, type JobState, RUNNING_STATES, WAITING_STATES } from '../queue/types';

type QueueSettings = Pick<Config, 'jobStaleSeconds' | 'workerPruneSeconds'>;

export interface WorkerJob {
  id: string;
  kind: string;
  state: JobState;
  stage: string | null;
  done: number | null;
  total: number | null;
}

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  version: string;
  slots: number;
  status: 'live' | 'gone';
  startedAt: Date;
  lastSeenAt: Date;
  lastSeenSecondsAgo: number;
  jobs: WorkerJob[];
}

export interface QueueKind {
  kind: JobKind;
  waiting: number;
  running: number;
  lost: number;
  oldestWaitingSince: Date | null;
  oldestWaitingSeconds: number | null;
}

export interface WorkersAndQueue {
  workers: WorkerView[];
  queue: QueueKind[];
  /** A worker without a heartbeat for this long is gone, and its running jobs are lost and retried elsewhere. */
  goneAfterSeconds: number;
  /** A gone worker is deleted from the list after this long. */
  pruneAfterSeconds: number;
}

type WorkerRow = Omit<WorkerView, 'status' | 'jobs'> & { gone: boolean };

async function workerRows(prisma: Db, goneAfterSeconds: number): Promise<WorkerRow[]> {
  return prisma.$queryRaw<WorkerRow[]>`
      SELECT id::text, host, pid, version, slots, "startedAt", "lastSeenAt",
        "lastSeenAt" < now() AT TIME ZONE 'UTC' - make_interval(secs => ${goneAfterSeconds}) AS gone,
        greatest(0, extract(epoch FROM now() AT TIME ZONE 'UTC' - "lastSeenAt"))::float8 AS "lastSeenSecondsAgo"
      FROM "Worker" ORDER BY host, "startedAt", pid`;
}

/** The jobs on these workers now: running, being cancelled, or lost with their worker. */
async function jobsOf(prisma: Db, workerIds: string[]): Promise<Map<string, WorkerJob[]>> {
  const jobs = await prisma.job.findMany({
    where: { workerId: { in: workerIds }, state: { in: [...RUNNING_STATES, 'lost'] } },
    orderBy: { createdAt: 'asc' },
  });
  const out = new Map<string, WorkerJob[]>();
  for (const j of jobs) {
    const p = j.progress as { stage?: string; done?: number; total?: number } | null;
    const job = {
      id: j.id,
      kind: j.kind,
      state: j.state as JobState,
      stage: p?.stage ?? null,
      done: p?.done ?? null,
      total: p?.total ?? null,
    };
    out.set(j.workerId!, [...(out.get(j.workerId!) ?? []), job]);
  }
  return out;
}

type QueueRow = {
  kind: string;
  waiting: number;
  running: number;
  lost: number;
  since: Date | null;
  age: number | null;
};

/** Per kind: jobs waiting (queued, or back after a failed or lost attempt), running and lost; the oldest wait. */
async function queueDepth(prisma: Db): Promise<QueueKind[]> {
  const waiting = [...WAITING_STATES];
  const rows = await prisma.$queryRaw<QueueRow[]>`
      SELECT kind,
        count(*) FILTER (WHERE state = ANY(${waiting}))::int AS waiting,
        count(*) FILTER (WHERE state = ANY(${[...RUNNING_STATES]}))::int AS running,
        count(*) FILTER (WHERE state = 'lost')::int AS lost,
        min(CASE WHEN state = 'queued' THEN "createdAt" ELSE "updatedAt" END) FILTER (WHERE state = ANY(${waiting})) AS since
      FROM "Job" WHERE state = ANY(${[...waiting, ...RUNNING_STATES]}) GROUP BY kind`;
  const now = await prisma.$queryRaw<{ now: Date }[]>`SELECT now() AT TIME ZONE 'UTC' AS now`;
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  return JOB_KINDS.map((kind) => {
    const r = byKind.get(kind);
    const since = r?.since ?? null;
    return {
      kind,
      waiting: r?.waiting ?? 0,
      running: r?.running ?? 0,
      lost: r?.lost ?? 0,
      oldestWaitingSince: since,
      oldestWaitingSeconds: since ? Math.max(0, (now[0].now.getTime() - since.getTime()) / 1000) : null,
    };
  });
}

/** GET /v1/workers: every registered worker with its jobs, and the queue per job kind. */
export async function workersAndQueue(prisma: Db, config: QueueSettings): Promise<WorkersAndQueue> {
  const goneAfterSeconds = config.jobStaleSeconds;
  const rows = await workerRows(prisma, goneAfterSeconds);
  const jobs = await jobsOf(
    prisma,
    rows.map((w) => w.id),
  );
  return {
    workers: rows.map(({ gone, ...w }) => ({ ...w, status: gone ? 'gone' : 'live', jobs: jobs.get(w.id) ?? [] })),
    queue: await queueDepth(prisma),
    goneAfterSeconds,
    pruneAfterSeconds: config.workerPruneSeconds,
  };
}

export interface QueueSummary {
  workers: { live: number; gone: number; runningJobs: number };
  queue: { waiting: number; running: number; lost: number; oldestWaitingSeconds: number | null };
}

/** The short form for /v1/health; undefined when the database cannot be read. */
export async function queueSummary(prisma: Db, config: QueueSettings): Promise<QueueSummary | undefined> {
  try {
    const { workers, queue } = await workersAndQueue(prisma, config);
    const live = workers.filter((w) => w.status === 'live');
    const ages = queue.flatMap((q) => (q.oldestWaitingSeconds === null ? [] : [q.oldestWaitingSeconds]));
    const sum = (f: (q: QueueKind) => number) => queue.reduce((a, q) => a + f(q), 0);
    return {
      workers: {
        live: live.length,
        gone: workers.length - live.length,
        runningJobs: live.reduce((a, w) => a + w.jobs.filter((j) => j.state !== 'lost').length, 0),
      },
      queue: {
        waiting: sum((q) => q.waiting),
        running: sum((q) => q.running),
        lost: sum((q) => q.lost),
        oldestWaitingSeconds: ages.length ? Math.max(...ages) : null,
      },
    };
  } catch {
    return undefined;
  }
}
