/** extraction job: run a model's network over a dataset's stimuli and register the tapped layers (services/extractions.ts). */
import type { JobHandler } from '../../queue/types';
import { markExtractionEnded, runQueuedExtraction } from '../../services/extractions';

export const extractionHandler: JobHandler<{ extractionId: string }> = {
  run: (data, ctx) =>
    runQueuedExtraction(ctx.prisma, ctx.config, data.extractionId, {
      signal: ctx.signal,
      progress: (p) => ctx.progress(p),
    }),
  onFailed: (data, error, { prisma }) => markExtractionEnded(prisma, data.extractionId, 'failed', error),
  async onCancelled(data, { prisma }) {
    if (data.extractionId) await markExtractionEnded(prisma, data.extractionId, 'cancelled');
  },
};
