/** Terminal-state hooks shared by the jobs that own a Run row (alignment, comparison). */
import type { JobHandler } from '../types';

type RunHooks = Pick<JobHandler<{ runId: string }>, 'onFailed' | 'onCancelled'>;

export const runStatusHooks: RunHooks = {
  async onFailed(data, error, { prisma }) {
    await prisma.run.update({ where: { id: data.runId }, data: { status: 'failed', error, finishedAt: new Date() } });
  },
  async onCancelled(data, { prisma }) {
    if (!data.runId) return;
    await prisma.run.updateMany({ where: { id: data.runId, status: { in: ['queued', 'running'] } }, data: { status: 'cancelled', finishedAt: new Date() } });
  },
};
