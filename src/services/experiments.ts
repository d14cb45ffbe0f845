/**
 * Experiments: the toy superposition experiment (the paper's first) as one idempotent job with one JSON result.
 * The experiment is deterministic given its options (seeds included), so identical requests share one result.
 */
import { Prisma, type Db } from '../db/client';
import { NotFoundError } from '../errors';
import type { JobQueue } from '../queue/queue';
import type { ToyPayload } from '../threads/compute-tasks';
import { runInComputeThread } from '../threads/compute-thread';
import { createOrReuse } from './idempotent';
import { requestHash } from './request-hash';
import { threadOptions, type RunContext } from './run-context';

export type ExperimentRow = Awaited<ReturnType<Db['experiment']['findUniqueOrThrow']>>;

/** Create (or reuse: same options, same result) a toy superposition experiment and its job. */
export async function createToyExperiment(
  prisma: Db,
  jobs: JobQueue,
  options: NonNullable<ToyPayload>,
): Promise<ExperimentRow> {
  const hash = requestHash('toy-superposition', options);
  const { row } = await createOrReuse(prisma, jobs, 'toy', hash, {
    find: (tx) => tx.experiment.findUnique({ where: { requestHash: hash } }),
    create: (tx) =>
      tx.experiment.create({ data: { kind: 'toy-superposition', options: options as object, requestHash: hash } }),
    reset: (tx, id) =>
      tx.experiment.update({
        where: { id },
        data: { status: 'queued', error: null, result: Prisma.DbNull, finishedAt: null },
      }),
    attachJob: (tx, id, jobId) => tx.experiment.update({ where: { id }, data: { jobId } }),
    job: (r) => ({ data: { experimentId: r.id }, links: {} }),
  });
  return row;
}

export async function getExperiment(prisma: Db, id: string): Promise<ExperimentRow> {
  const e = await prisma.experiment.findUnique({ where: { id } });
  if (!e) throw new NotFoundError('experiment', id);
  return e;
}

/** The toy job: the experiment in a compute thread, its result stored as one JSON document. */
export async function runToyExperiment(experimentId: string, ctx: RunContext): Promise<void> {
  const exp = await ctx.prisma.experiment.findUniqueOrThrow({ where: { id: experimentId } });
  if (exp.status === 'succeeded') return;
  await ctx.prisma.experiment.update({ where: { id: exp.id }, data: { status: 'running', error: null } });
  const result = await runInComputeThread('toySuperposition', exp.options as ToyPayload, threadOptions(ctx));
  await ctx.prisma.experiment.update({
    where: { id: exp.id },
    data: { status: 'succeeded', result: JSON.parse(JSON.stringify(result)), finishedAt: new Date() },
  });
}

export async function markExperimentFailed(prisma: Db, experimentId: string, error: string): Promise<void> {
  await prisma.experiment.update({
    where: { id: experimentId },
    data: { status: 'failed', error, finishedAt: new Date() },
  });
}

/** Cancelled while queued or running (a finished experiment keeps its state). */
export async function markExperimentCancelled(prisma: Db, experimentId: string): Promise<void> {
  await prisma.experiment.updateMany({
    where: { id: experimentId, status: { in: ['queued', 'running'] } },
    data: { status: 'cancelled', finishedAt: new Date() },
  });
}
