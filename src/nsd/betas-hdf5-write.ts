/**
 * Betas in NSD's HDF5 layout, for the synthetic writer: (T, Z, Y, X) int16 with one chunk per voxel time series,
 * written in z slabs so that the wasm heap never holds a whole session. Kept apart from synthetic.ts so that the
 * writer's thread (betas-write-thread.ts) can run it while the next session is drawn.
 */
import { writeH5DatasetInSlabs } from '../io/hdf5-write';

/** Bytes per h5wasm write: a slab of (T, planes, Y, X) int16 stays far below the 2 GiB wasm heap. */
const SLAB_BYTES = 32 << 20;

export async function writeBetasHdf5(
  file: string,
  data: Int16Array,
  shape: [number, number, number, number],
  slabBytes = SLAB_BYTES,
): Promise<void> {
  const [T, Z, Y, X] = shape;
  const plane = Y * X;
  const slab = (z0: number, z1: number) => {
    const out = new Int16Array(T * (z1 - z0) * plane);
    for (let t = 0; t < T; t++)
      out.set(data.subarray(t * Z * plane + z0 * plane, t * Z * plane + z1 * plane), t * (z1 - z0) * plane);
    return out;
  };
  await writeH5DatasetInSlabs(file, {
    name: 'betas',
    shape,
    dtype: '<h',
    chunks: [T, 1, 1, 1],
    axis: 1,
    step: Math.max(1, Math.min(Z, Math.floor(slabBytes / (2 * T * plane)))),
    slab,
  });
}
