/**
 * The train-sae job's work: train a TopK SAE on its layer's activations in a compute thread, put the weights into
 * the artefact store and the settings, metrics and curves on its row. A retry of a finished SAE does nothing.
 */
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { ProgressFn } from '../progress';
import type { SaeTrainSettingsInput } from '../sae/settings';
import { runInComputeThread } from '../threads/compute-thread';
import { loadLayerMatrix } from './inputs';
import { storeSaeWeights } from './saes';

export async function trainQueuedSae(
  prisma: Db,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
  saeId: string,
  opts: { signal?: AbortSignal; progress?: ProgressFn } = {},
): Promise<void> {
  const sae = await prisma.sae.findUniqueOrThrow({ where: { id: saeId }, include: { layer: true } });
  if (sae.status === 'ready') return;
  await prisma.sae.update({ where: { id: sae.id }, data: { status: 'training', error: null } });
  opts.progress?.({ stage: 'loading activations', done: 0, total: 1 });
  const { X } = await loadLayerMatrix(sae.layer, config);
  const out = await runInComputeThread(
    'trainSae',
    { X, settings: sae.settings as unknown as SaeTrainSettingsInput },
    { signal: opts.signal, onProgress: (p) => opts.progress?.(p), transfer: [X.data.buffer as ArrayBuffer] },
  );
  const weightsPath = await storeSaeWeights(config, out.weights);
  await prisma.sae.update({
    where: { id: sae.id },
    data: {
      status: 'ready',
      weightsPath,
      k: out.settings.k,
      latents: out.settings.latents,
      preprocessing: out.settings.preprocessing as object,
      settings: out.settings as object,
      metrics: out.metrics as object,
      curves: out.curves as object[],
      error: null,
    },
  });
}

/** Training failed for good (after the last retry): the SAE row says so and why. */
export async function markSaeTrainingFailed(prisma: Db, saeId: string, error: string): Promise<void> {
  await prisma.sae.update({ where: { id: saeId }, data: { status: 'failed', error } });
}

/** The training job was cancelled: an SAE that had not finished is marked cancelled. */
export async function markSaeTrainingCancelled(prisma: Db, saeId: string): Promise<void> {
  await prisma.sae.updateMany({
    where: { id: saeId, status: { in: ['pending', 'training'] } },
    data: { status: 'cancelled' },
  });
}
