/** evaluate-sae job: the metrics of an imported SAE on its layer, computed after the import has answered. */
import type { JobHandler } from '../../queue/types';
import { evaluateImportedSae, recordSaeEvaluationFailure } from '../../services/saes';

export const evaluateSaeHandler: JobHandler<{ saeId: string }> = {
  run: (data, ctx) =>
    evaluateImportedSae(ctx.prisma, ctx.config, data.saeId, { signal: ctx.signal, progress: (p) => ctx.progress(p) }),
  onFailed: (data, error, { prisma }) => recordSaeEvaluationFailure(prisma, data.saeId, error),
};
