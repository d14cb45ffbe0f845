/**
 * Extractions: run a model's ONNX network over a dataset's stimuli (a job), tap intermediate tensors, pool them and
 * register each as a layer of the model with its nsdIds. Identical requests (model, network, dataset, stimuli,
 * layers, preprocessing) share one extraction. The ONNX work is src/extract's, which knows nothing of this.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { ConflictError, DataValidationError, NotFoundError, ValidationError } from '../errors';
import { checkInputSize, planTaps, type Tap } from '../extract/plan';
import type { Pooling } from '../extract/pooling';
import { type ImagePreprocessing, inputSize, resizedSize } from '../extract/preprocess';
import { extractActivations, type StimulusImageReader } from '../extract/run';
import type { Extraction } from '../generated/prisma/client';
import { writeNpy } from '../io';
import type { NsdDataset } from '../nsd/dataset';
import { readStimulusTable, subjectTrialImages } from '../nsd/stimuli';
import { openDatasetStimuli } from '../nsd/stimulus-images';
import { stimuliPath } from '../nsd/dataset';
import type { ProgressFn } from '../progress';
import type { JobQueue } from '../queue/queue';
import { artefactStore } from './artefacts';
import { createOrReuse } from './idempotent';
import { openDataset, subjectNumber } from './inputs';
import { NSD_IMAGE_COUNT, registerLayer } from './layers';
import { networkBytes } from './networks';
import { requestHash } from './request-hash';

export type { Extraction };

export interface ExtractionLayer {
  tensor: string;
  name: string;
  pooling: Pooling;
}

export interface ExtractionRequest {
  datasetId: string;
  subjects?: string[];
  nsdIds?: number[];
  layers: ExtractionLayer[];
  preprocessing: ImagePreprocessing;
  batchSize: number;
}

/** What is stored on the row and hashed (batchSize changes no value and is left out of the hash). */
interface ResolvedRequest {
  nsdIds: number[];
  subjects: string[] | null;
  layers: ExtractionLayer[];
  preprocessing: ImagePreprocessing;
  batchSize: number;
}

/**
 * The dataset's stimulus images (the manifest's `stimulusImages`, NSD's nsd_stimuli.hdf5 by default) as the
 * extraction core reads them: RGB only, since the networks take 3-channel input.
 */
async function openDatasetImages(ds: NsdDataset) {
  const brick = await openDatasetStimuli(ds);
  if (brick.channels !== 3) {
    brick.close();
    throw new DataValidationError('manifest.stimulusImages', `has ${brick.channels} channel(s); extraction needs RGB`);
  }
  const read: StimulusImageReader = async (ids) => brick.read(ids);
  return { read, count: brick.images, height: brick.height, width: brick.width, close: () => brick.close() };
}

/** The subjects' nsdIds (every image any of them saw, ascending), or the request's own (checked). */
function resolveNsdIds(ds: NsdDataset, req: ExtractionRequest): number[] {
  if (req.nsdIds) {
    const seen = new Set<number>();
    req.nsdIds.forEach((id, i) => {
      if (id >= NSD_IMAGE_COUNT)
        throw ValidationError.of(`body.nsdIds[${i}]`, `${id} is not an NSD image (0..${NSD_IMAGE_COUNT - 1})`);
      if (seen.has(id)) throw ValidationError.of(`body.nsdIds[${i}]`, `nsdId ${id} appears twice`);
      seen.add(id);
    });
    return req.nsdIds;
  }
  const table = readStimulusTable(stimuliPath(ds), 'dataset.stimuli');
  const ids = new Set<number>();
  (req.subjects ?? []).forEach((label, i) => {
    const field = `body.subjects[${i}]`;
    let subject: number;
    try {
      subject = subjectNumber(label);
    } catch {
      throw ValidationError.of(field, `"${label}" is not a subject label like subj01`);
    }
    for (const id of subjectTrialImages(table, subject, field)) if (id >= 0) ids.add(id);
  });
  return [...ids].sort((a, b) => a - b);
}

/** Layer names: unique within the request and not taken on the model. */
async function checkLayerNames(prisma: Db, modelId: string, layers: ExtractionLayer[]) {
  const taken = new Set(
    (await prisma.layer.findMany({ where: { modelId }, select: { name: true } })).map((l) => l.name),
  );
  const names = new Set<string>();
  layers.forEach((l, i) => {
    if (names.has(l.name)) throw ValidationError.of(`body.layers[${i}].name`, `"${l.name}" is named twice`);
    names.add(l.name);
    if (taken.has(l.name))
      throw new ConflictError(`model already has a layer named "${l.name}"`, [
        { field: `body.layers[${i}].name`, reason: 'already taken' },
      ]);
  });
}

/** The dataset's images must hold every id and give the input size a fixed-size network takes. */
async function checkImages(ds: NsdDataset, ids: number[], req: ExtractionRequest, input: ReturnType<typeof planTaps>) {
  const images = await openDatasetImages(ds);
  try {
    const past = ids.find((id) => id >= images.count);
    if (past !== undefined)
      throw new DataValidationError('dataset.stimulusImages', `has ${images.count} images; nsdId ${past} is not one`);
    const [rh, rw] = resizedSize(images.height, images.width, req.preprocessing.resize);
    const crop = req.preprocessing.crop;
    if (crop !== null && crop > Math.min(rh, rw))
      throw ValidationError.of('body.preprocessing.crop', `${crop} is larger than the resized ${rh} x ${rw} images`);
    checkInputSize(input, inputSize(images.height, images.width, req.preprocessing), req.preprocessing, 'body.');
  } finally {
    images.close();
  }
}

const RETRYABLE = new Set(['failed', 'cancelled']);

/**
 * Check an extraction request (model network, tensors, dataset images, layer names) and queue it; an identical
 * earlier request that is queued, running or done is returned instead.
 */
export async function queueExtraction(
  prisma: Db,
  jobs: JobQueue,
  config: Config,
  modelId: string,
  req: ExtractionRequest,
): Promise<Extraction> {
  const network = await networkBytes(prisma, config, modelId, 'params.id');
  const input = planTaps(network.bytes, req.layers, 'body.');
  const dataset = await prisma.dataset.findUnique({ where: { id: req.datasetId }, select: { id: true } });
  if (!dataset) throw ValidationError.of('body.datasetId', `dataset ${req.datasetId} does not exist`);
  const ds = await openDataset(prisma, config, req.datasetId);
  const nsdIds = resolveNsdIds(ds, req);
  if (nsdIds.length === 0) throw ValidationError.of('body.subjects', 'the subjects saw no images');
  const resolved: ResolvedRequest = {
    nsdIds,
    subjects: req.subjects ?? null,
    layers: req.layers,
    preprocessing: req.preprocessing,
    batchSize: req.batchSize,
  };
  const { batchSize: _, ...identity } = resolved;
  const hash = requestHash('extraction', { modelId, networkKey: network.key, datasetId: req.datasetId, ...identity });
  const existing = await prisma.extraction.findUnique({ where: { requestHash: hash } });
  if (existing && !RETRYABLE.has(existing.status)) return existing;
  await checkLayerNames(prisma, modelId, req.layers);
  await checkImages(ds, nsdIds, req, input);
  const { row } = await createOrReuse(prisma, jobs, 'extraction', hash, {
    find: (tx) => tx.extraction.findUnique({ where: { requestHash: hash } }),
    create: (tx) =>
      tx.extraction.create({
        data: {
          modelId,
          datasetId: req.datasetId,
          networkKey: network.key,
          request: resolved as object,
          requestHash: hash,
          stimulusCount: nsdIds.length,
        },
      }),
    reset: (tx, id) =>
      tx.extraction.update({ where: { id }, data: { status: 'queued', error: null, finishedAt: null } }),
    attachJob: (tx, id, jobId) => tx.extraction.update({ where: { id }, data: { jobId } }),
    job: (r) => ({ data: { extractionId: r.id }, links: {} }),
  });
  return row;
}

export async function getExtraction(prisma: Db, id: string): Promise<Extraction> {
  const row = await prisma.extraction.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('extraction', id);
  return row;
}

export async function listModelExtractions(prisma: Db, modelId: string): Promise<Extraction[]> {
  if (!(await prisma.model.findUnique({ where: { id: modelId }, select: { id: true } })))
    throw new NotFoundError('model', modelId);
  return prisma.extraction.findMany({ where: { modelId }, orderBy: { createdAt: 'desc' } });
}

/** Register one extracted layer; on a retry, a layer this extraction registered before is kept as it is. */
async function registerExtracted(
  prisma: Db,
  config: Pick<Config, 'storeDir'>,
  ex: Extraction,
  layer: ExtractionLayer,
  files: { activations: string; stimulusIds: string },
): Promise<string> {
  const before = await prisma.layer.findFirst({ where: { modelId: ex.modelId, name: layer.name } });
  if (before && ex.layerIds.includes(before.id)) return before.id;
  const store = artefactStore(config);
  const toStore = async (f: { activations: string; stimulusIds: string }, checksum: string) => ({
    activations: await store.putFile(f.activations, '.npy', { sha256: checksum }),
    stimulusIds: await store.putFile(f.stimulusIds, '.npy', { keep: true }),
  });
  const row = await registerLayer(prisma, ex.modelId, { name: layer.name }, files, 'extraction.', toStore);
  await prisma.extraction.update({ where: { id: ex.id }, data: { layerIds: { push: row.id } } });
  ex.layerIds.push(row.id);
  return row.id;
}

/** The job's work: run the network over the stimuli and register the layers. A finished extraction does nothing. */
export async function runQueuedExtraction(
  prisma: Db,
  config: Config,
  extractionId: string,
  opts: { signal?: AbortSignal; progress?: ProgressFn } = {},
): Promise<void> {
  const ex = await getExtraction(prisma, extractionId);
  if (ex.status === 'completed') return;
  await prisma.extraction.update({ where: { id: ex.id }, data: { status: 'running', error: null } });
  const req = ex.request as unknown as ResolvedRequest;
  const model = await artefactStore(config).readBytes(ex.networkKey, 'extraction.network');
  const images = await openDatasetImages(await openDataset(prisma, config, ex.datasetId));
  const dir = path.join(os.tmpdir(), `extraction-${ex.id}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    const outFiles = req.layers.map((_, i) => path.join(dir, `layer-${i}.npy`));
    await extractActivations({
      model,
      taps: req.layers.map((l): Tap => ({ tensor: l.tensor, pooling: l.pooling })),
      preprocessing: req.preprocessing,
      nsdIds: req.nsdIds,
      images: images.read,
      outFiles,
      batchSize: req.batchSize,
      threads: Math.min(os.availableParallelism(), 8),
      signal: opts.signal,
      progress: opts.progress,
    });
    const stimulusIds = path.join(dir, 'stimulus-ids.npy');
    await writeFile(stimulusIds, writeNpy(Int32Array.from(req.nsdIds), [req.nsdIds.length]));
    opts.progress?.({ stage: 'registering layers', done: 0, total: req.layers.length });
    for (let i = 0; i < req.layers.length; i++) {
      await registerExtracted(prisma, config, ex, req.layers[i], { activations: outFiles[i], stimulusIds });
      opts.progress?.({ stage: 'registering layers', done: i + 1, total: req.layers.length });
    }
    await prisma.extraction.update({ where: { id: ex.id }, data: { status: 'completed', finishedAt: new Date() } });
  } finally {
    images.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function markExtractionEnded(
  prisma: Db,
  extractionId: string,
  status: 'failed' | 'cancelled',
  error?: string,
) {
  await prisma.extraction.updateMany({
    where: { id: extractionId, status: { not: 'completed' } },
    data: { status, error: error ?? null, finishedAt: new Date() },
  });
}
