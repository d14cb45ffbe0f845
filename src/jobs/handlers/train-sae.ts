/** train-sae job: train a TopK SAE on a layer's activations and store its weights (services/sae-training.ts). */
import type { JobHandler } from '../../queue/types';
import { markSaeTrainingCancelled, markSaeTrainingFailed, trainQueuedSae } from '../../services/sae-training';

export const trainSaeHandler: JobHandler<{ saeId: string }> = {
  run: (data, ctx) =>
    trainQueuedSae(ctx.prisma, ctx.config, data.saeId, { signal: ctx.signal, progress: (p) => ctx.progress(p) }),
  onFailed: (data, error, { prisma }) => markSaeTrainingFailed(prisma, data.saeId, error),
  async onCancelled(data, { prisma }) {
    if (data.saeId) await markSaeTrainingCancelled(prisma, data.saeId);
  },
};
