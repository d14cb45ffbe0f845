/** toy job: the toy superposition experiment in a compute thread; its result is one JSON document. */
import { runInComputeThread } from '../../threads/compute-thread';
import type { ToyPayload } from '../../threads/compute-tasks';
import type { JobContext, JobHandler } from '../../queue/types';

async function run(data: { experimentId: string }, ctx: JobContext): Promise<void> {
  const exp = await ctx.prisma.experiment.findUniqueOrThrow({ where: { id: data.experimentId } });
  if (exp.status === 'succeeded') return;
  await ctx.prisma.experiment.update({ where: { id: exp.id }, data: { status: 'running', error: null } });
  const result = await runInComputeThread('toySuperposition', exp.options as ToyPayload, {
    signal: ctx.signal,
    onProgress: (p) => ctx.progress(p),
  });
  await ctx.prisma.experiment.update({
    where: { id: exp.id },
    data: { status: 'succeeded', result: JSON.parse(JSON.stringify(result)), finishedAt: new Date() },
  });
}

export const toyHandler: JobHandler<{ experimentId: string }> = {
  run,
  async onFailed(data, error, { prisma }) {
    await prisma.experiment.update({
      where: { id: data.experimentId },
      data: { status: 'failed', error, finishedAt: new Date() },
    });
  },
  async onCancelled(data, { prisma }) {
    if (!data.experimentId) return;
    await prisma.experiment.updateMany({
      where: { id: data.experimentId, status: { in: ['queued', 'running'] } },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
  },
};
