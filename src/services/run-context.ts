/** What a service computing a job's result is given: the job's database, configuration, cancellation and progress. */
import type { JobContext } from '../queue/types';

export type RunContext = Pick<JobContext, 'prisma' | 'config' | 'signal' | 'progress'>;

/** Progress of a compute thread, reported as the job's. */
export const threadOptions = (ctx: RunContext) => ({
  signal: ctx.signal,
  onProgress: (p: Parameters<RunContext['progress']>[0]) => ctx.progress(p),
});
