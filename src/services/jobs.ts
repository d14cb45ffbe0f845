/** Jobs as clients see them: the Job row (state, progress, error) any process can read, and cancellation. */
import type { Db } from '../db/client';
import { NotFoundError } from '../errors';
import type { Job } from '../generated/prisma/client';
import { retryTimes } from '../queue/inspect';
import type { JobQueue } from '../queue/queue';
import { type JobState, TERMINAL_STATES } from '../queue/types';

export type { Job, JobState };

/** A job and, while it waits for a retry (after a failed or lost attempt), the earliest time it runs again. */
export type JobView = Job & { retryAt: Date | null };

async function view(prisma: Db, job: Job): Promise<JobView> {
  if (job.state !== 'retrying' && job.state !== 'lost') return { ...job, retryAt: null };
  return { ...job, retryAt: (await retryTimes(prisma, [job.id])).get(job.id) ?? null };
}

export async function getJob(prisma: Db, id: string): Promise<JobView> {
  const job = await prisma.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('job', id);
  return view(prisma, job);
}

/** The job now and whether its state is final; null once the job is gone (streams end there). */
export async function pollJob(prisma: Db, id: string): Promise<{ job: JobView; terminal: boolean } | null> {
  const job = await prisma.job.findUnique({ where: { id } });
  return job ? { job: await view(prisma, job), terminal: TERMINAL_STATES.includes(job.state as JobState) } : null;
}

/** Ask the queue to cancel a queued or running job; returns the job after the request. */
export async function cancelJob(prisma: Db, jobs: JobQueue, id: string): Promise<JobView> {
  await getJob(prisma, id);
  await jobs.cancel(id);
  return getJob(prisma, id);
}
