/**
 * Loading what jobs compute on: a layer's activations (optionally as SAE latents) and a subject's ROI
 * betas. Database rows in, typed arrays out; the numerical work stays in compute/ and sae/.
 */
import { createHash } from 'node:crypto';
import { readActivations } from '../activations/load';
import { applyLayerPreprocessingInPlace, layerPreprocessingOf } from '../activations/preprocessing';
import { readStimulusIds } from '../activations/stimulus-ids';
import type { Config } from '../config';
import type { CsrMatrix, DenseMatrix } from '../compute/matrix';
import type { Db } from '../db/client';
import type { ProgressFn } from '../progress';
import { betasPath, discoverSessions, openNsdDataset, type NsdDataset } from '../nsd/dataset';
import { readBetasFileShape } from '../nsd/betas-session';
import { DataValidationError } from '../errors';
import { noiseCeiling } from '../nsd/noise-ceiling';
import { loadRoiMask } from '../nsd/rois';
import { layerFile, readSaeWeights } from './artefacts';
import type { ResolvedRoi } from './rois';
import { loadSubjectRoiBetas, subjectImageOrder } from '../nsd/subject-betas';
import { loadNcsnr } from '../nsd/volumes';
import { encodeSparse } from '../sae/encode';
import { deserialiseSae } from '../sae/io';
import { type InitSettings, untrainedTwin } from '../sae/untrained';

export interface LayerMatrix {
  ids: Int32Array;
  X: DenseMatrix<Float32Array>;
}

type LayerRow = {
  id: string;
  activationsPath: string;
  activationsDataset: string | null;
  stimulusIdsPath: string;
  stimulusIdsDataset: string | null;
  preprocessing: unknown;
};

/**
 * Read a layer's activations and ids, with the layer's preprocessing applied (activations/preprocessing.ts), so
 * that every metric and SAE sees the same neurons. Uploaded files come from this process's artefact store, their
 * hash checked; paths are checked against the roots again, symlinks resolved, at every open: a file swapped for a
 * link leading elsewhere after registration is refused.
 */
export async function loadLayerMatrix(
  layer: LayerRow,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
): Promise<LayerMatrix> {
  const actsFile = await layerFile(layer.activationsPath, config, 'layer.activations');
  const idsFile = await layerFile(layer.stimulusIdsPath, config, 'layer.stimulusIds');
  const X = await readActivations(actsFile, {
    dataset: layer.activationsDataset ?? undefined,
    field: 'layer.activations',
  });
  const ids = await readStimulusIds(idsFile, {
    dataset: layer.stimulusIdsDataset ?? undefined,
    field: 'layer.stimulusIds',
  });
  if (ids.length !== X.rows)
    throw new DataValidationError('layer.stimulusIds', `${ids.length} ids for ${X.rows} activation rows`);
  return { ids, X: applyLayerPreprocessingInPlace(X, layerPreprocessingOf(layer.preprocessing)) };
}

/**
 * The source matrix of a representation: the neurons themselves, or the SAE's sparse latents; with `untrained`
 * (representation 'random-sae') the latents of the SAE's untrained twin (its training run's initialisation).
 */
export async function representationMatrix(
  prisma: Db,
  config: Pick<Config, 'storeDir'>,
  saeId: string | null,
  X: DenseMatrix<Float32Array>,
  signal?: AbortSignal,
  options: { untrained?: boolean } = {},
): Promise<DenseMatrix<Float32Array> | CsrMatrix> {
  if (!saeId) return X;
  const sae = await prisma.sae.findUniqueOrThrow({ where: { id: saeId } });
  if (sae.status !== 'ready' || !sae.weightsPath) throw new Error(`SAE ${saeId} is not ready (status ${sae.status})`);
  const trained = deserialiseSae(await readSaeWeights(config, sae.weightsPath));
  return encodeSparse(
    options.untrained ? untrainedTwin(trained, sae.settings as unknown as InitSettings) : trained,
    X,
    { signal },
  );
}

export interface RoiTargets {
  /** Images (ascending nsdId) x union voxels: repetition-averaged, session z-scored betas. */
  nsdIds: Int32Array;
  /** The same images in the subject's image order (first presentation first: fold order 'subject'). */
  subjectOrder: Int32Array;
  betas: DenseMatrix<Float32Array>;
  repetitions: Uint8Array;
  voxelIndices: Int32Array;
  volumeShape: [number, number, number];
  /** Columns of `betas` for each requested ROI. */
  rois: { name: string; columns: Int32Array }[];
  /** ncsnr per union voxel (null without an ncsnr volume). */
  ncsnr: Float32Array | null;
}

export interface RoiTargetRequest {
  datasetId: string;
  subject: string;
  rois: ResolvedRoi[];
}

// Betas loading dominates small runs and is identical for every layer and representation of one subject:
// keep the last selection in memory, keyed by subject and voxel union (one entry bounds memory; the jobs of
// a study are queued subject by subject, so a worker loads each subject once for all of them).
let cache: { key: string; value: Promise<LoadedBetas> } | null = null;
let betasLoads = 0;

/** How many times this process has read betas from disk (cache misses). */
export function betasLoadCount(): number {
  return betasLoads;
}

type LoadedBetas = Awaited<ReturnType<typeof loadSubjectRoiBetas>>;

export function subjectNumber(label: string): number {
  const m = /^subj(\d+)$/.exec(label);
  if (!m) throw new DataValidationError('subject', `"${label}" is not a subject label like subj01`);
  return Number(m[1]);
}

export async function openDataset(prisma: Db, config: Config, datasetId: string): Promise<NsdDataset> {
  const d = await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  return openNsdDataset(d.manifest, d.root, config.dataRoots);
}

export async function loadRoiTargets(
  prisma: Db,
  config: Config,
  req: RoiTargetRequest,
  opts: { onProgress?: ProgressFn; signal?: AbortSignal } = {},
): Promise<RoiTargets & { fromCache: boolean }> {
  const ds = await openDataset(prisma, config, req.datasetId);
  const subject = subjectNumber(req.subject);
  const format = ds.manifest.betas.format;
  const sessions = discoverSessions(ds, subject, format);
  if (sessions.length === 0) throw new DataValidationError('subject', `${req.subject} has no ${format} sessions`);
  const { volumeShape } = await readBetasFileShape(betasPath(ds, subject, sessions[0], format), format, {
    dataset: ds.manifest.betas.dataset,
    field: `manifest.betas.${format}`,
  });
  // Masks are small label volumes: read them each time; only the betas are cached.
  const masks = [];
  for (const roi of req.rois) {
    const voxels = new Set<number>();
    for (const m of roi.members) {
      const mask = await loadRoiMask(
        ds,
        subject,
        { atlas: m.atlas, labels: [m.label], hemisphere: m.hemisphere },
        volumeShape,
      );
      for (const v of mask.voxelIndices) voxels.add(v);
    }
    masks.push({ name: roi.name, voxels: Int32Array.from(voxels).sort() });
  }
  const union = Int32Array.from(new Set(masks.flatMap((m) => Array.from(m.voxels)))).sort();
  if (union.length === 0) throw new DataValidationError('rois', 'the selected ROIs hold no voxels');
  const key = `${req.datasetId}/${req.subject}/${createHash('sha256').update(new Uint8Array(union.buffer)).digest('hex')}`;
  const fromCache = cache?.key === key;
  if (!fromCache) {
    betasLoads++;
    const value = loadSubjectRoiBetas(ds, subject, union, {
      sessions,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    cache = { key, value };
    value.catch(() => {
      if (cache?.value === value) cache = null;
    });
  }
  const loaded = await cache!.value;
  const column = new Map(Array.from(loaded.voxelIndices, (v, c) => [v, c]));
  const ncsnr = ds.manifest.ncsnr ? await loadNcsnr(ds, subject, loaded.voxelIndices, volumeShape) : null;
  return {
    nsdIds: loaded.nsdIds,
    subjectOrder: subjectImageOrder(loaded.nsdIds, loaded.firstTrials),
    betas: loaded.betas,
    repetitions: loaded.repetitions,
    voxelIndices: loaded.voxelIndices,
    volumeShape: [volumeShape[0], volumeShape[1], volumeShape[2]] as [number, number, number],
    rois: masks.map((m) => ({ name: m.name, columns: Int32Array.from(m.voxels, (v) => column.get(v)!) })),
    ncsnr,
    fromCache,
  };
}

/** Noise ceiling (percent) per voxel for the images actually evaluated (their repetition counts). */
export function noiseCeilingFor(ncsnr: Float32Array | null, repetitions: Uint8Array): Float32Array | undefined {
  return ncsnr ? noiseCeiling(ncsnr, repetitions) : undefined;
}
