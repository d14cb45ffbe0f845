/**
 * Stimulus images from an HDF5 brick (NSD's nsd_stimuli.hdf5: `imgBrick`, 73,000 x 425 x 425 x 3 uint8, image
 * index = nsdId), read in slabs: each run of consecutive ids is one hyperslab, so a batch never reads more than its
 * images.
 */
import { DataValidationError } from '../errors';
import { openH5Dataset, readH5Slab } from '../io';
import type { StimulusImageReader } from './run';

export interface Hdf5Images {
  read: StimulusImageReader;
  count: number;
  height: number;
  width: number;
  close(): void;
}

export async function openHdf5Images(file: string, dataset: string, field: string): Promise<Hdf5Images> {
  const h = await openH5Dataset(file, dataset, field);
  const [count, height, width, channels] = h.info.shape;
  if (h.info.shape.length !== 4 || channels !== 3 || !/u1$|B$/.test(h.info.dtype)) {
    h.close();
    throw new DataValidationError(
      field,
      `"${dataset}" is ${h.info.dtype} [${h.info.shape.join(', ')}]; uint8 N x H x W x 3 images are needed`,
    );
  }
  const one = height * width * 3;
  const read: StimulusImageReader = async (ids) => {
    const data = new Uint8Array(ids.length * one);
    for (let i = 0; i < ids.length; ) {
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[j - 1] + 1) j++;
      if (ids[i] < 0 || ids[j - 1] >= count)
        throw new DataValidationError(
          field,
          `has ${count} images; nsdId ${ids[i] < 0 ? ids[i] : ids[j - 1]} is not one`,
        );
      const slab = readH5Slab(h, [[ids[i], ids[j - 1] + 1], [], [], []], field);
      data.set(slab as Uint8Array, i * one);
      i = j;
    }
    return { data, height, width };
  };
  return { read, count, height, width, close: () => h.close() };
}
