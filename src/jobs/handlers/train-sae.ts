/** train-sae job: train a TopK SAE on a layer's activations (in a compute thread) and store its weights. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SaeTrainSettingsInput } from '../../sae/settings';
import { runInComputeThread } from '../../threads/compute-thread';
import { loadLayerMatrix } from '../../services/inputs';
import type { JobContext, JobHandler } from '../../queue/types';

export function saeWeightsPath(dataDir: string, saeId: string): string {
  return path.join(dataDir, 'saes', `${saeId}.safetensors`);
}

async function run(data: { saeId: string }, ctx: JobContext): Promise<void> {
  const { prisma } = ctx;
  const sae = await prisma.sae.findUniqueOrThrow({ where: { id: data.saeId }, include: { layer: true } });
  if (sae.status === 'ready') return;
  await prisma.sae.update({ where: { id: sae.id }, data: { status: 'training', error: null } });
  ctx.progress({ stage: 'loading activations', done: 0, total: 1 });
  const { X } = await loadLayerMatrix(sae.layer, ctx.config);
  const out = await runInComputeThread(
    'trainSae',
    { X, settings: sae.settings as unknown as SaeTrainSettingsInput },
    { signal: ctx.signal, onProgress: (p) => ctx.progress(p), transfer: [X.data.buffer as ArrayBuffer] },
  );
  const file = saeWeightsPath(ctx.config.dataDir, sae.id);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, out.weights);
  await prisma.sae.update({
    where: { id: sae.id },
    data: {
      status: 'ready',
      weightsPath: file,
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

export const trainSaeHandler: JobHandler<{ saeId: string }> = {
  run,
  async onFailed(data, error, { prisma }) {
    await prisma.sae.update({ where: { id: data.saeId }, data: { status: 'failed', error } });
  },
  async onCancelled(data, { prisma }) {
    if (!data.saeId) return;
    await prisma.sae.updateMany({
      where: { id: data.saeId, status: { in: ['pending', 'training'] } },
      data: { status: 'cancelled' },
    });
  },
};
