/** Terminal-state hooks shared by the jobs that own Run rows (alignment, comparison; a study unit owns several). */
import type { JobHandler } from '../../queue/types';
import { markRunsCancelled, markRunsFailed } from '../../services/runs';

type RunJob = { runId: string } | { runIds: string[] };
type RunHooks = Pick<JobHandler<RunJob>, 'onFailed' | 'onCancelled'>;

const runIdsOf = (data: RunJob): string[] => ('runIds' in data ? data.runIds : data.runId ? [data.runId] : []);

export const runStatusHooks: RunHooks = {
  onFailed: (data, error, { prisma }) => markRunsFailed(prisma, runIdsOf(data), error),
  onCancelled: (data, { prisma }) => markRunsCancelled(prisma, runIdsOf(data)),
};
