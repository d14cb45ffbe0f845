/**
 * SAEs of a layer: trained by a job (train-sae) or imported from trained weights. An import is checked against
 * the layer (shapes, width) and stored at once, ready to use; its metrics on the layer's activations are computed
 * by an evaluate-sae job in a compute thread, never inside the HTTP request, and appear when that job finishes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import { INT_COLUMN_RANGE } from '../int-columns';
import { type Db, Prisma } from '../db/client';
import type { Sae } from '../generated/prisma/client';
import { DataValidationError, NotFoundError, ValidationError } from '../errors';
import { loadLayerMatrix } from './inputs';
import { resolveDataPath } from '../nsd/paths';
import type { JobQueue } from '../queue/queue';
import type { ProgressFn } from '../progress';
import { importSae, type SaeImportOptions } from '../sae/import';
import { serialiseSae } from '../sae/io';
import type { SaePreprocessing } from '../sae/model';
import { resolveTrainSettings } from '../sae/settings';
import { runInComputeThread } from '../threads/compute-thread';
import { artefactStore, readSaeWeights } from './artefacts';
import { createOrReuse, TRANSACTION_WAIT } from './idempotent';
import { requestHash } from './request-hash';

export type { Sae };

/** Put an SAE's weights (trained or imported, this service's format) into the artefact store; returns the key. */
export function storeSaeWeights(config: Pick<Config, 'storeDir'>, weights: Uint8Array): Promise<string> {
  return artefactStore(config).putBytes(weights, '.safetensors');
}

export interface SaeImportRequest {
  weights: { path: string; orientation: 'auto' | 'math' | 'torch'; applyDecoderBiasToInput: boolean };
  k?: number;
  preprocessing?: Partial<SaePreprocessing>;
}

/** Library errors name fields relative to their input ("k", "W_enc"); the API names them in the body. */
async function withFieldPrefix<T>(prefix: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { field?: string; reason?: string };
    if (typeof e?.field === 'string' && typeof e?.reason === 'string' && !e.field.startsWith('body.'))
      throw ValidationError.of(`${prefix}${e.field}`, e.reason);
    throw err;
  }
}

async function findLayer(prisma: Db, layerId: string) {
  const layer = await prisma.layer.findUnique({ where: { id: layerId } });
  if (!layer) throw new NotFoundError('layer', layerId);
  return layer;
}

/** Read and check foreign weights against the layer; returns the SAE in this service's own format. */
async function readImportedWeights(config: Pick<Config, 'dataRoots'>, width: number, input: SaeImportRequest) {
  const file = resolveDataPath(config.dataRoots[0], input.weights.path, config.dataRoots, 'body.weights.path');
  const bytes = await readFile(file).catch(() => {
    throw new DataValidationError('body.weights.path', 'file not found or unreadable');
  });
  const options: SaeImportOptions = {
    k: input.k,
    preprocessing: input.preprocessing,
    orientation: input.weights.orientation,
    applyDecoderBiasToInput: input.weights.applyDecoderBiasToInput,
    metadata: { source: path.basename(file) },
  };
  const sae = await withFieldPrefix('body.', () =>
    importSae(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options),
  );
  if (sae.inputDim !== width)
    throw new DataValidationError(
      'body.weights.path',
      `SAE input width ${sae.inputDim} differs from the layer width ${width}`,
    );
  return { sae, weights: serialiseSae(sae) };
}

/**
 * Import trained weights for a layer: the SAE is stored ready to use, its weights in the artefact store, with the
 * evaluate-sae job that computes its metrics (row and job together; a failed write leaves only an unreferenced
 * file in the store, which may be shared with another SAE of the same weights and is never removed).
 */
export async function importLayerSae(
  prisma: Db,
  jobs: JobQueue,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
  layerId: string,
  input: SaeImportRequest,
): Promise<Sae> {
  const layer = await findLayer(prisma, layerId);
  const { sae, weights } = await readImportedWeights(config, layer.width, input);
  const weightsPath = await storeSaeWeights(config, weights);
  return prisma.$transaction(async (tx) => {
    const created = await tx.sae.create({
      data: {
        layerId: layer.id,
        origin: 'imported',
        status: 'ready',
        settings: { import: input.weights, k: sae.k },
        k: sae.k,
        latents: sae.latentDim,
        preprocessing: sae.preprocessing as object,
        weightsPath,
      },
    });
    const jobId = await jobs.enqueue('evaluate-sae', { saeId: created.id }, { saeId: created.id }, tx);
    return tx.sae.update({ where: { id: created.id }, data: { jobId } });
  }, TRANSACTION_WAIT);
}

/**
 * Queue training for a layer (settings checked against its width first). Training is deterministic given the
 * resolved settings (seed included): identical requests share one SAE.
 */
export async function queueSaeTraining(prisma: Db, jobs: JobQueue, layerId: string, settings: object): Promise<Sae> {
  const layer = await findLayer(prisma, layerId);
  const resolved = await withFieldPrefix('body.', () => resolveTrainSettings(settings, layer.count, layer.width));
  if (resolved.latents > INT_COLUMN_RANGE.max)
    throw ValidationError.of('body.expansion', `gives ${resolved.latents} latents, more than ${INT_COLUMN_RANGE.max}`);
  const hash = requestHash('train-sae', { layerId: layer.id, settings: resolved });
  const { row } = await createOrReuse(prisma, jobs, 'train-sae', hash, {
    find: (tx) => tx.sae.findUnique({ where: { requestHash: hash } }),
    create: (tx) =>
      tx.sae.create({
        data: {
          layerId: layer.id,
          origin: 'trained',
          status: 'pending',
          settings,
          k: resolved.k,
          latents: resolved.latents,
          preprocessing: resolved.preprocessing as object,
          requestHash: hash,
        },
      }),
    reset: (tx, id) =>
      tx.sae.update({
        where: { id },
        data: { status: 'pending', error: null, metrics: Prisma.DbNull, curves: Prisma.DbNull, weightsPath: null },
      }),
    attachJob: (tx, id, jobId) => tx.sae.update({ where: { id }, data: { jobId } }),
    job: (r) => ({ data: { saeId: r.id }, links: { saeId: r.id } }),
  });
  return row;
}

/** A layer's SAEs, newest first. */
export async function listLayerSaes(prisma: Db, layerId: string): Promise<Sae[]> {
  if (!(await prisma.layer.count({ where: { id: layerId } }))) throw new NotFoundError('layer', layerId);
  return prisma.sae.findMany({ where: { layerId }, orderBy: { createdAt: 'desc' } });
}

export async function getSae(prisma: Db, id: string): Promise<Sae> {
  const sae = await prisma.sae.findUnique({ where: { id } });
  if (!sae) throw new NotFoundError('SAE', id);
  return sae;
}

/**
 * The evaluate-sae job's work: FVU, mean L0 and dead-latent share of an imported SAE on all of its layer's
 * activations, in a compute thread. A retry after the metrics were stored does nothing.
 */
export async function evaluateImportedSae(
  prisma: Db,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
  saeId: string,
  opts: { signal?: AbortSignal; progress?: ProgressFn } = {},
): Promise<void> {
  const sae = await prisma.sae.findUniqueOrThrow({ where: { id: saeId }, include: { layer: true } });
  if (sae.metrics !== null || !sae.weightsPath) return;
  opts.progress?.({ stage: 'loading activations', done: 0, total: 1 });
  const { X } = await loadLayerMatrix(sae.layer, config);
  const weights = await readSaeWeights(config, sae.weightsPath);
  opts.progress?.({ stage: 'evaluating', done: 0, total: 1 });
  const metrics = await runInComputeThread(
    'evaluateSaeOn',
    { weights, X },
    { signal: opts.signal, transfer: [X.data.buffer as ArrayBuffer] },
  );
  await prisma.sae.update({ where: { id: saeId }, data: { metrics: { ...metrics, evaluatedOn: 'layer' } } });
}

/** An evaluation that failed for good: the SAE stays usable (its weights were checked at import); why is kept. */
export async function recordSaeEvaluationFailure(prisma: Db, saeId: string, error: string): Promise<void> {
  await prisma.sae.updateMany({ where: { id: saeId }, data: { error: `evaluation failed: ${error}` } });
}
