/**
 * HDF5 writing through h5wasm, one slab at a time: the dataset is created from its first slab and extended
 * (within its fixed maximum shape) slab by slab, so that the wasm heap (2 GiB at most) never holds the whole
 * dataset. Chunks are filled in the same order as one whole write.
 */
import h5wasm from 'h5wasm/node';
import { h5Ready } from './hdf5';

export interface H5SlabWrite {
  /** Dataset name, e.g. "betas". */
  name: string;
  /** Full dataset shape (C order). */
  shape: number[];
  /** h5wasm dtype string, e.g. "<h" for little-endian int16. */
  dtype: string;
  chunks: number[];
  /** Axis that the slabs divide. */
  axis: number;
  /** Indices along `axis` per write (at least 1). */
  step: number;
  /** Values of the slab [from, to) along `axis`, every other axis whole, C order. */
  slab: (from: number, to: number) => Int16Array | Int32Array | Float32Array | Float64Array | Uint8Array;
}

/** Write one dataset to a new HDF5 file (replacing any file there) in slabs along `w.axis`. */
export async function writeH5DatasetInSlabs(file: string, w: H5SlabWrite): Promise<void> {
  await h5Ready();
  const n = w.shape[w.axis];
  const first = Math.min(n, w.step);
  const h = new h5wasm.File(file, 'w');
  try {
    const ds = h.create_dataset({
      name: w.name,
      data: w.slab(0, first),
      shape: w.shape.map((s, d) => (d === w.axis ? first : s)),
      maxshape: w.shape,
      dtype: w.dtype,
      chunks: w.chunks,
    });
    if (first < n) ds.resize(w.shape);
    for (let from = first; from < n; from += w.step) {
      const to = Math.min(n, from + w.step);
      ds.write_slice(
        w.shape.map((s, d): [number, number] => (d === w.axis ? [from, to] : [0, s])),
        w.slab(from, to),
      );
    }
  } finally {
    h.close();
  }
}
