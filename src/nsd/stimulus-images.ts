/**
 * NSD stimulus images: `nsd_stimuli.hdf5`, dataset `imgBrick`, uint8 (73000, 425, 425, 3) (image, row, column,
 * RGB); row i is the image of 0-based nsdId i. Read only the requested rows, in hyperslabs of consecutive ids of
 * at most `slabBytes` each (the whole brick is 39 GB; h5wasm's heap is 2 GiB).
 */
import { existsSync } from 'node:fs';
import { DataValidationError, NotFoundError } from '../errors';
import { type OpenH5Dataset, openH5Dataset, readH5SlabBytes } from '../io/hdf5';
import { datasetPath, type NsdDataset } from './dataset';

/** Images in the order asked: `data` is count x height x width x channels uint8, C order (RGB interleaved). */
export interface StimulusImages {
  data: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** An open image brick; read() may be called repeatedly (e.g. one batch at a time); close() when done. */
export interface StimulusBrick {
  /** Images in the file (73000 in NSD; row = nsdId). */
  images: number;
  height: number;
  width: number;
  channels: number;
  read(nsdIds: ArrayLike<number>, opts?: { slabBytes?: number }): StimulusImages;
  close(): void;
}

/** Bytes per HDF5 read (consecutive ids are read together up to this size). */
const SLAB_BYTES = 64 << 20;

/**
 * Open an image brick file. The dataset must be uint8 of rank 4 with 1 or 3 channels.
 * @throws DataValidationError (field) for a missing or malformed file.
 */
export async function openStimulusBrick(
  file: string,
  dataset = 'imgBrick',
  field = 'stimulusImages',
): Promise<StimulusBrick> {
  const h = await openH5Dataset(file, dataset, field);
  const { shape, dtype } = h.info;
  if (shape.length !== 4 || !(shape[3] === 3 || shape[3] === 1) || !/^[<>|]?B$/.test(dtype)) {
    h.close();
    throw new DataValidationError(
      field,
      `"${dataset}" must be uint8 (images, height, width, 3); it is ${dtype} (${shape.join(', ')})`,
    );
  }
  const [images, height, width, channels] = shape;
  return {
    images,
    height,
    width,
    channels,
    read: (nsdIds, opts = {}) => readRows(h, nsdIds, opts.slabBytes ?? SLAB_BYTES, field),
    close: () => h.close(),
  };
}

/** Requested rows, consecutive runs read as one hyperslab (at most slabBytes). */
function readRows(h: OpenH5Dataset, nsdIds: ArrayLike<number>, slabBytes: number, field: string): StimulusImages {
  const [images, height, width, channels] = h.info.shape;
  const imageBytes = height * width * channels;
  const maxRun = Math.max(1, Math.floor(slabBytes / imageBytes));
  const n = nsdIds.length;
  for (let i = 0; i < n; i++) {
    const id = nsdIds[i];
    if (!Number.isInteger(id) || id < 0 || id >= images)
      throw new DataValidationError('nsdIds', `nsdIds[${i}] = ${id} is not an image of the brick (0..${images - 1})`);
  }
  const data = new Uint8Array(n * imageBytes);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && j - i < maxRun && nsdIds[j] === nsdIds[j - 1] + 1) j++;
    const a = nsdIds[i];
    const rows = readH5SlabBytes(
      h,
      [
        [a, a + (j - i)],
        [0, height],
        [0, width],
        [0, channels],
      ],
      field,
    );
    data.set(rows, i * imageBytes);
    i = j;
  }
  return { data, count: n, height, width, channels };
}

/** Absolute path of a dataset's image brick (confined to the data roots). */
export function stimulusImagesPath(ds: NsdDataset): string {
  return datasetPath(ds, ds.manifest.stimulusImages.file, {}, 'manifest.stimulusImages.file');
}

/**
 * Open a dataset's image brick.
 * @throws NotFoundError when the file is not on disk (images are optional in a download).
 */
export async function openDatasetStimuli(ds: NsdDataset): Promise<StimulusBrick> {
  const file = stimulusImagesPath(ds);
  if (!existsSync(file))
    throw new NotFoundError(`the dataset has no stimulus images on disk (${ds.manifest.stimulusImages.file})`);
  return openStimulusBrick(file, ds.manifest.stimulusImages.dataset, 'manifest.stimulusImages');
}

/**
 * The images of `nsdIds` (0-based nsdIds, any order, repeats allowed), in that order: n x height x width x 3 uint8
 * (425 x 425 in NSD). For many images read in batches through openDatasetStimuli (memory: n x 542 kB at NSD size).
 */
export async function readStimulusImages(ds: NsdDataset, nsdIds: ArrayLike<number>): Promise<StimulusImages> {
  const brick = await openDatasetStimuli(ds);
  try {
    return brick.read(nsdIds);
  } finally {
    brick.close();
  }
}
