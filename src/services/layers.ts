/**
 * Layers: a model's activations for NSD stimuli. The files are read and checked before any row is written: a
 * finite float matrix (stimuli x units) and one unique NSD image id per row; the activation file's sha256 is
 * stored with the layer. Files come by path inside the data roots (the row keeps the path), or from an upload,
 * which goes into the artefact store by content hash (the row keeps the key).
 */
import { link, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkActivationsFile } from '../activations/check';
import { layerPreprocessingOf, type LayerPreprocessing } from '../activations/preprocessing';
import { readStimulusIds } from '../activations/stimulus-ids';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Layer as LayerRow } from '../generated/prisma/client';
import { notifyResultsChanged } from '../db/notify';
import { ConflictError, DataValidationError, NotFoundError } from '../errors';
import { resolveDataPath } from '../nsd/paths';
import { sha256File } from '../store/artefact-store';
import { artefactStore } from './artefacts';
import { completedUploadFile, deleteUpload } from './uploads';

/** Largest NSD stimulus id + 1 (nsdId is 0-based over the 73k images). */
export const NSD_IMAGE_COUNT = 73_000;

export type { LayerPreprocessing };

/** A stored layer with its preprocessing read back (null: none). */
export type Layer = Omit<LayerRow, 'preprocessing'> & { preprocessing: LayerPreprocessing | null };

/** A layer's two files, as absolute paths already inside the allowed roots. */
export interface LayerFiles {
  activations: string;
  activationsDataset?: string;
  stimulusIds: string;
  stimulusIdsDataset?: string;
}

export interface NewLayer {
  name: string;
  /** Depth order within the model (default: after the existing layers). */
  position?: number;
  preprocessing?: LayerPreprocessing;
}

/** Files named by the client: a path inside the data roots (relative: from the first root) and an HDF5 dataset. */
export interface FileRef {
  path: string;
  dataset?: string;
}

/** A file named by path, or by the id of a complete resumable upload (services/uploads.ts). */
export type LayerFileRef = FileRef | { upload: string; dataset?: string };

function withPreprocessing(row: LayerRow): Layer {
  return { ...row, preprocessing: layerPreprocessingOf(row.preprocessing) };
}

/** Every id an NSD image and none twice; errors name the row. */
function checkStimulusIds(ids: Int32Array, field: string): void {
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= NSD_IMAGE_COUNT)
      throw new DataValidationError(
        `${field}[${i}]`,
        `nsdId ${ids[i]} is not an NSD image (0..${NSD_IMAGE_COUNT - 1})`,
      );
    if (seen.has(ids[i])) throw new DataValidationError(`${field}[${i}]`, `nsdId ${ids[i]} appears twice`);
    seen.add(ids[i]);
  }
}

/**
 * Read and check a layer's files; returns what the Layer row needs. The activations are checked as they stream
 * past (a 2 GiB upload is never held in memory), then hashed.
 */
export async function inspectLayerFiles(files: LayerFiles, fieldPrefix: string) {
  const field = `${fieldPrefix}activations`;
  const acts = await checkActivationsFile(files.activations, { dataset: files.activationsDataset, field });
  // An empty matrix reads fine but cannot be fitted; refuse it here, not in the first alignment.
  if (acts.rows === 0)
    throw new DataValidationError(
      field,
      `has no rows (shape ${acts.rows} x ${acts.cols}): one row per stimulus is needed`,
    );
  if (acts.cols === 0) throw new DataValidationError(field, `has no units (shape ${acts.rows} x 0 columns)`);
  const idsField = `${fieldPrefix}stimulusIds`;
  const ids = await readStimulusIds(files.stimulusIds, { dataset: files.stimulusIdsDataset, field: idsField });
  if (ids.length !== acts.rows)
    throw new DataValidationError(idsField, `${ids.length} stimulus ids for ${acts.rows} activation rows`);
  checkStimulusIds(ids, idsField);
  return { width: acts.cols, count: acts.rows, checksum: await sha256File(files.activations) };
}

/** What a layer row names its files by: the checked paths themselves, or their artefact store keys (uploads). */
type FileRefs = (files: LayerFiles, checksum: string) => Promise<{ activations: string; stimulusIds: string }>;

/**
 * Check the files and store the layer under its model. `fieldPrefix` says where errors point ("body."); `refsOf`
 * gives what the row names the files by once they passed (default: their paths).
 */
export async function registerLayer(
  prisma: Db,
  modelId: string,
  layer: NewLayer,
  files: LayerFiles,
  fieldPrefix = 'body.',
  refsOf: FileRefs = async (f) => f,
): Promise<Layer> {
  const model = await prisma.model.findUnique({
    where: { id: modelId },
    select: { id: true, layers: { select: { name: true, position: true } } },
  });
  if (!model) throw new NotFoundError('model', modelId);
  if (model.layers.some((l) => l.name === layer.name))
    throw new ConflictError(`model already has a layer named "${layer.name}"`, [
      { field: `${fieldPrefix}name`, reason: 'already taken' },
    ]);
  const info = await inspectLayerFiles(files, fieldPrefix);
  const position = layer.position ?? (model.layers.length ? Math.max(...model.layers.map((l) => l.position)) + 1 : 0);
  const refs = await refsOf(files, info.checksum);
  const row = await prisma.layer.create({
    data: {
      modelId,
      name: layer.name,
      position,
      activationsPath: refs.activations,
      activationsDataset: files.activationsDataset ?? null,
      stimulusIdsPath: refs.stimulusIds,
      stimulusIdsDataset: files.stimulusIdsDataset ?? null,
      ...(layerPreprocessingOf(layer.preprocessing) ? { preprocessing: { ...layer.preprocessing } } : {}),
      dtype: 'float32',
      ...info,
    },
  });
  await notifyResultsChanged(prisma);
  return withPreprocessing(row);
}

/** A file of a multipart upload: where the HTTP room wrote it (in a withUploadScratch folder) and the client's name. */
export interface UploadedFile {
  file: string;
  originalName: string;
}

/**
 * A folder for one upload's files inside the artefact store (the same filesystem, so moving them in is a rename),
 * removed with whatever is left in it once `fn` is done.
 */
export async function withUploadScratch<T>(config: Pick<Config, 'storeDir'>, fn: (dir: string) => Promise<T>) {
  const dir = await artefactStore(config).scratchDir();
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The client's file name only picks the reader (.npy, .json, .csv, .h5); anything else is read as .npy. */
function uploadExtension(name: string): string {
  const ext = path.extname(name).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '.npy';
}

/**
 * Register an uploaded layer: the files are checked as registerLayer checks any, then moved into the artefact
 * store by content hash, and the row names their keys ("sha256:<hex>.npy"), so any worker reads them from its
 * own ALIGN_STORE_DIR. The extension of the client's file name is kept: the readers pick the format from it.
 */
export async function registerUploadedLayer(
  prisma: Db,
  config: Pick<Config, 'storeDir'>,
  modelId: string,
  layer: NewLayer,
  uploaded: { activations: UploadedFile; stimulusIds: UploadedFile },
): Promise<Layer> {
  const named = async (u: UploadedFile, base: string) => {
    const file = path.join(path.dirname(u.file), `${base}${uploadExtension(u.originalName)}`);
    await rename(u.file, file);
    return file;
  };
  const files: LayerFiles = {
    activations: await named(uploaded.activations, 'activations'),
    stimulusIds: await named(uploaded.stimulusIds, 'stimulus-ids'),
  };
  const store = artefactStore(config);
  const toStore = async (f: LayerFiles, checksum: string) => ({
    activations: await store.putFile(f.activations, path.extname(f.activations), { sha256: checksum }),
    stimulusIds: await store.putFile(f.stimulusIds, path.extname(f.stimulusIds)),
  });
  return registerLayer(prisma, modelId, layer, files, 'body.', toStore);
}

/** registerLayer for files named by path inside the data roots (a relative path: from the first root). */
export async function registerLayerFromPaths(
  prisma: Db,
  config: Pick<Config, 'dataRoots'>,
  modelId: string,
  layer: NewLayer & { activations: FileRef; stimulusIds: FileRef },
): Promise<Layer> {
  const base = config.dataRoots[0];
  const files: LayerFiles = {
    activations: resolveDataPath(base, layer.activations.path, config.dataRoots, 'body.activations.path'),
    activationsDataset: layer.activations.dataset,
    stimulusIds: resolveDataPath(base, layer.stimulusIds.path, config.dataRoots, 'body.stimulusIds.path'),
    stimulusIdsDataset: layer.stimulusIds.dataset,
  };
  return registerLayer(prisma, modelId, layer, files, 'body.');
}

/** A complete upload's file, hard-linked into `scratch` under its client's extension (the readers pick by it). */
async function linkUpload(config: Pick<Config, 'storeDir'>, scratch: string, id: string, base: string, field: string) {
  const u = await completedUploadFile(config, id, field);
  const file = path.join(scratch, `${base}${uploadExtension(u.originalName)}`);
  await link(u.file, file);
  return file;
}

/**
 * registerLayer for files named by path or by resumable upload id. Uploaded files are checked as any, moved into
 * the artefact store by content hash (the row keeps their keys) and their uploads removed; a refused layer leaves
 * its uploads as they were, for another try.
 */
export async function registerLayerFromRefs(
  prisma: Db,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
  modelId: string,
  layer: NewLayer & { activations: LayerFileRef; stimulusIds: LayerFileRef },
): Promise<Layer> {
  const { activations: acts, stimulusIds: ids } = layer;
  if (!('upload' in acts) && !('upload' in ids))
    return registerLayerFromPaths(prisma, config, modelId, { ...layer, activations: acts, stimulusIds: ids });
  const created = await withUploadScratch(config, async (scratch) => {
    const fileOf = (ref: LayerFileRef, base: string) =>
      'upload' in ref
        ? linkUpload(config, scratch, ref.upload, base, `body.${base}.upload`)
        : resolveDataPath(config.dataRoots[0], ref.path, config.dataRoots, `body.${base}.path`);
    const files: LayerFiles = {
      activations: await fileOf(acts, 'activations'),
      activationsDataset: acts.dataset,
      stimulusIds: await fileOf(ids, 'stimulusIds'),
      stimulusIdsDataset: ids.dataset,
    };
    const store = artefactStore(config);
    const toStore = async (f: LayerFiles, checksum: string) => ({
      activations:
        'upload' in acts
          ? await store.putFile(f.activations, path.extname(f.activations), { sha256: checksum })
          : f.activations,
      stimulusIds: 'upload' in ids ? await store.putFile(f.stimulusIds, path.extname(f.stimulusIds)) : f.stimulusIds,
    });
    return registerLayer(prisma, modelId, layer, files, 'body.', toStore);
  });
  for (const ref of [acts, ids]) if ('upload' in ref) await deleteUpload(config, ref.upload).catch(() => undefined);
  return created;
}

export async function getLayer(prisma: Db, id: string): Promise<Layer> {
  const row = await prisma.layer.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('layer', id);
  return withPreprocessing(row);
}
