/**
 * Layer activations (stimuli x units) from .npy (float16/32/64, C or Fortran order) or an HDF5 dataset,
 * returned as a float32 row-major DenseMatrix.
 */
import type { DenseMatrix } from '../compute/matrix';
import { DataValidationError } from '../errors';
import { FILE_READERS, fileKindOf } from '../io/file-kinds';
import { halfToFloat } from '../io/float16';
import { readH5Slab, readH5SlabBytes } from '../io/hdf5';
import { type NpyArray, NpyFormatError } from '../io/npy';

export interface ReadActivationsOptions {
  /** HDF5 dataset path (required for .h5/.hdf5 files). */
  dataset?: string;
  /** Field named in errors (default "activations"). */
  field?: string;
  /** Max bytes per HDF5 read (default 64 MiB): activations are read in row slabs. */
  maxSlabBytes?: number;
}

function toFloat32(data: ArrayLike<number>): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/**
 * Read an activations matrix. `.npy`: any float dtype and order. HDF5: `opts.dataset` must name a 2-D
 * numeric dataset (float16 included). 1-D arrays become a single column.
 * @throws DataValidationError (field) for unreadable files, non-numeric data or ranks other than 1-2.
 */
export async function readActivations(
  file: string,
  opts: ReadActivationsOptions = {},
): Promise<DenseMatrix<Float32Array>> {
  const field = opts.field ?? 'activations';
  // Any name other than HDF5's is read as .npy (uploads keep their client's extension, or none).
  if (fileKindOf(file) === 'hdf5') return readHdf5Activations(file, opts, field);
  let arr: NpyArray;
  try {
    arr = FILE_READERS.npy.read(file);
  } catch (e) {
    if (e instanceof NpyFormatError) throw new DataValidationError(field, e.message);
    throw new DataValidationError(field, `cannot read ${file}: ${(e as Error).message}`);
  }
  if (!arr.dtype.startsWith('f'))
    throw new DataValidationError(field, `activations must be float16/32/64, got ${arr.dtype}`);
  return asMatrix(arr.shape, toFloat32(arr.data as Float32Array | Float64Array), field);
}

function asMatrix(shape: number[], data: Float32Array, field: string): DenseMatrix<Float32Array> {
  if (shape.length === 1) return { rows: shape[0], cols: 1, data };
  if (shape.length !== 2)
    throw new DataValidationError(field, `activations must be 2-D (stimuli x units), got shape [${shape}]`);
  return { rows: shape[0], cols: shape[1], data };
}

async function readHdf5Activations(
  file: string,
  opts: ReadActivationsOptions,
  field: string,
): Promise<DenseMatrix<Float32Array>> {
  if (!opts.dataset) throw new DataValidationError(`${field}.dataset`, 'an HDF5 activations file needs a dataset name');
  const h = await FILE_READERS.hdf5.read(file, opts.dataset, field);
  try {
    const md = h.dataset.metadata;
    const shape = h.info.shape;
    if (md.type !== 0 && md.type !== 1)
      throw new DataValidationError(field, `HDF5 dataset ${opts.dataset} is not numeric`);
    if (shape.length !== 1 && shape.length !== 2)
      throw new DataValidationError(field, `activations must be 2-D, got shape [${shape}]`);
    const rows = shape[0];
    const cols = shape[1] ?? 1;
    const out = new Float32Array(rows * cols);
    const rowsPerSlab = Math.max(1, Math.floor((opts.maxSlabBytes ?? 64 << 20) / (cols * md.size)));
    const half = md.type === 1 && md.size === 2;
    for (let r0 = 0; r0 < rows; r0 += rowsPerSlab) {
      const r1 = Math.min(rows, r0 + rowsPerSlab);
      const ranges: [number, number][] =
        shape.length === 2
          ? [
              [r0, r1],
              [0, cols],
            ]
          : [[r0, r1]];
      if (half) {
        // h5wasm has no float16 conversion: decode the raw bytes.
        const b = readH5SlabBytes(h, ranges, field);
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        for (let i = 0; i < (r1 - r0) * cols; i++)
          out[r0 * cols + i] = halfToFloat(v.getUint16(2 * i, md.littleEndian));
      } else {
        const slab = readH5Slab(h, ranges, field);
        for (let i = 0; i < (r1 - r0) * cols; i++) out[r0 * cols + i] = Number(slab[i]);
      }
    }
    return { rows, cols, data: out };
  } finally {
    h.close();
  }
}
