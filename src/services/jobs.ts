/** Jobs as clients see them: the Job row (state, progress, error) any process can read, and cancellation. */
import type { Db } from '../db/client';
import { NotFoundError } from '../errors';
import type { Job } from '../generated/prisma/client';
import type { JobQueue } from '../queue/queue';
import { type JobState, TERMINAL_STATES } from '../queue/types';

export type { Job, JobState };

export async function getJob(prisma: Db, id: string): Promise<Job> {
  const job = await prisma.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('job', id);
  return job;
}

/** The job now and whether its state is final; null once the job is gone (streams end there). */
export async function pollJob(prisma: Db, id: string): Promise<{ job: Job; terminal: boolean } | null> {
  const job = await prisma.job.findUnique({ where: { id } });
  return job ? { job, terminal: TERMINAL_STATES.includes(job.state as JobState) } : null;
}

/** Ask the queue to cancel a queued or running job; returns the job after the request. */
export async function cancelJob(prisma: Db, jobs: JobQueue, id: string): Promise<Job> {
  await getJob(prisma, id);
  await jobs.cancel(id);
  return getJob(prisma, id);
}
