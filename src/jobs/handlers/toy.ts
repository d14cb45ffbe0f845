/** toy job: the toy superposition experiment (services/experiments.ts); its result is one JSON document. */
import type { JobHandler } from '../../queue/types';
import { markExperimentCancelled, markExperimentFailed, runToyExperiment } from '../../services/experiments';

export const toyHandler: JobHandler<{ experimentId: string }> = {
  run: (data, ctx) => runToyExperiment(data.experimentId, ctx),
  onFailed: (data, error, { prisma }) => markExperimentFailed(prisma, data.experimentId, error),
  async onCancelled(data, { prisma }) {
    if (data.experimentId) await markExperimentCancelled(prisma, data.experimentId);
  },
};
