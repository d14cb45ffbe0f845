/** Terminal-state hooks shared by the jobs that own Run rows (alignment, comparison; a study unit owns several). */
import type { JobHandler } from '../../queue/types';

type RunJob = { runId: string } | { runIds: string[] };
type RunHooks = Pick<JobHandler<RunJob>, 'onFailed' | 'onCancelled'>;

const runIdsOf = (data: RunJob): string[] => ('runIds' in data ? data.runIds : data.runId ? [data.runId] : []);

export const runStatusHooks: RunHooks = {
  async onFailed(data, error, { prisma }) {
    await prisma.run.updateMany({
      where: { id: { in: runIdsOf(data) } },
      data: { status: 'failed', error, finishedAt: new Date() },
    });
  },
  async onCancelled(data, { prisma }) {
    const ids = runIdsOf(data);
    if (ids.length === 0) return;
    await prisma.run.updateMany({
      where: { id: { in: ids }, status: { in: ['queued', 'running'] } },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
  },
};
