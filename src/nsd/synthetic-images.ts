/**
 * Synthetic stimulus images that show their ground-truth features: feature k is a coloured Gaussian blob at its own
 * place and size; an image is a grey background plus the blobs of its active features, weighted by their values.
 * Written as nsd_stimuli.hdf5 (imgBrick, uint8 (73000, S, S, 3), one image per chunk): only the pool's rows are
 * written, so the file holds |pool| chunks, not 73000 (HDF5 leaves unwritten chunks unallocated; they read as 0).
 */
import h5wasm from 'h5wasm/node';
import { Rng } from '../compute/random';
import { h5Ready } from '../io/hdf5';

/** NSD's image count: imgBrick row = nsdId. */
export const NSD_IMAGE_COUNT = 73000;

interface Blob {
  cx: number;
  cy: number;
  sigma: number;
  rgb: [number, number, number];
}

/** One blob per feature, drawn from its own stream (seed) so the dataset's other files do not change. */
function featureBlobs(K: number, size: number, seed: number): Blob[] {
  const rng = new Rng((seed ^ 0x1b873593) >>> 0);
  return Array.from({ length: K }, () => ({
    cx: rng.uniform() * size,
    cy: rng.uniform() * size,
    sigma: size * (0.06 + 0.12 * rng.uniform()),
    rgb: [rng.uniform(), rng.uniform(), rng.uniform()].map((v) => 60 + 160 * v) as [number, number, number],
  }));
}

/** Pixels (size x size x 3, uint8) of one image from its feature values (row p of F, K columns). */
function drawImage(F: Float32Array, p: number, K: number, blobs: Blob[], size: number): Uint8Array {
  const acc = new Float32Array(size * size * 3).fill(40);
  for (let k = 0; k < K; k++) {
    const a = F[p * K + k];
    if (a === 0) continue;
    const { cx, cy, sigma, rgb } = blobs[k];
    const inv = 1 / (2 * sigma * sigma);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const w = a * Math.exp(-((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2) * inv);
        const o = (y * size + x) * 3;
        acc[o] += w * rgb[0];
        acc[o + 1] += w * rgb[1];
        acc[o + 2] += w * rgb[2];
      }
  }
  return Uint8Array.from(acc, (v) => Math.min(255, Math.round(v)));
}

/**
 * Write the images of pool ids (nsdIds; pool row p has features F[p]) as an imgBrick of `size` x `size` pixels.
 * Returns nothing; the file at `file` is replaced.
 */
export async function writeSyntheticStimulusImages(
  file: string,
  poolIds: Int32Array,
  F: Float32Array,
  K: number,
  size: number,
  seed: number,
): Promise<void> {
  await h5Ready();
  const blobs = featureBlobs(K, size, seed);
  const plane = size * size * 3;
  const h = new h5wasm.File(file, 'w');
  try {
    // Created one (blank) row long, then extended: only the rows written below take space.
    const ds = h.create_dataset({
      name: 'imgBrick',
      data: new Uint8Array(plane),
      shape: [1, size, size, 3],
      maxshape: [NSD_IMAGE_COUNT, size, size, 3],
      dtype: '<B',
      chunks: [1, size, size, 3],
    });
    ds.resize([NSD_IMAGE_COUNT, size, size, 3]);
    for (let p = 0; p < poolIds.length; p++) {
      const id = poolIds[p];
      ds.write_slice(
        [
          [id, id + 1],
          [0, size],
          [0, size],
          [0, 3],
        ],
        drawImage(F, p, K, blobs, size),
      );
      // Let the event loop run now and then (a test's server shares this process: idle sockets close on time).
      if (p % 64 === 63) await new Promise((r) => setImmediate(r));
    }
  } finally {
    h.close();
  }
}
