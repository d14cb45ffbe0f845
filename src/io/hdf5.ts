/** HDF5 access through h5wasm (Node build: reads from disk through the host file system, never whole files). */
import h5wasm, { Module as h5module } from 'h5wasm/node';
import { DataValidationError } from '../errors';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let ready: Promise<unknown> | null = null;

/** Wait for the h5wasm module once per process. */
export async function h5Ready(): Promise<void> {
  // HDF5 errors become JS exceptions instead of diagnostics printed to stderr.
  ready ??= h5wasm.ready.then((m) =>
    (m as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler(),
  );
  await ready;
}

export interface H5DatasetInfo {
  shape: number[];
  /** h5wasm dtype string, e.g. "<h" for little-endian int16. */
  dtype: string;
  chunks: number[] | null;
}

/** An open HDF5 dataset with its file; close() when done. */
export interface OpenH5Dataset {
  file: H5File;
  dataset: H5Dataset;
  info: H5DatasetInfo;
  close(): void;
}

/**
 * Open `datasetName` in an HDF5 file for reading. A missing, non-HDF5 or truncated file, or a missing
 * dataset, raises a DataValidationError naming `field` (HDF5 itself checks the end-of-file address
 * recorded in the superblock against the file size, which is how truncation shows).
 */
export async function openH5Dataset(file: string, datasetName: string, field = 'file'): Promise<OpenH5Dataset> {
  await h5Ready();
  let f: H5File;
  try {
    f = new h5wasm.File(file, 'r');
    if ((f as unknown as { file_id: bigint }).file_id < 0n) throw new Error('H5Fopen failed');
  } catch (e) {
    throw new DataValidationError(
      field,
      `cannot open HDF5 file (missing, not HDF5 or truncated): ${(e as Error).message ?? e}`,
    );
  }
  try {
    const ds = f.get(datasetName);
    if (!(ds instanceof h5wasm.Dataset))
      throw new DataValidationError(field, `HDF5 file has no dataset "${datasetName}"`);
    const md = ds.metadata;
    const info: H5DatasetInfo = { shape: md.shape ?? [], dtype: ds.dtype as string, chunks: md.chunks ?? null };
    return { file: f, dataset: ds, info, close: () => f.close() };
  } catch (e) {
    f.close();
    if (e instanceof DataValidationError) throw e;
    throw new DataValidationError(field, `cannot read HDF5 dataset "${datasetName}": ${(e as Error).message ?? e}`);
  }
}

/**
 * Read the hyperslab [start, stop) per dimension (an empty pair = the whole dimension), C order.
 * @throws DataValidationError when HDF5 fails to read (e.g. data past a truncated end).
 */
export function readH5Slab(h: OpenH5Dataset, ranges: ([number, number] | [])[], field = 'file'): ArrayLike<number> {
  try {
    const out = h.dataset.slice(ranges);
    if (out === null) throw new Error('empty dataset');
    return out as ArrayLike<number>;
  } catch (e) {
    throw new DataValidationError(field, `HDF5 read failed (file damaged or truncated?): ${(e as Error).message ?? e}`);
  }
}

interface H5RawModule {
  get_dataset_data(
    fileId: bigint,
    path: string,
    count: bigint[],
    offset: bigint[],
    strides: bigint[],
    ptr: bigint,
  ): number;
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
}

/**
 * Raw bytes (file's element type, C order) of a hyperslab [start, stop) per dimension. Used where h5wasm
 * has no typed-array conversion (float16). Needs h5Ready() to have run (openH5Dataset does).
 */
export function readH5SlabBytes(h: OpenH5Dataset, ranges: [number, number][], field = 'file'): Uint8Array {
  const M = h5module as unknown as H5RawModule | undefined;
  if (!M) throw new Error('h5wasm is not ready');
  const count = ranges.map(([a, b]) => BigInt(b - a));
  const offset = ranges.map(([a]) => BigInt(a));
  const strides = ranges.map(() => 1n);
  const nbytes = h.dataset.metadata.size * ranges.reduce((p, [a, b]) => p * (b - a), 1);
  const ptr = M._malloc(nbytes);
  if (ptr === 0) throw new DataValidationError(field, `cannot allocate ${nbytes} bytes in the HDF5 heap`);
  try {
    M.get_dataset_data(
      (h.dataset as unknown as { file_id: bigint }).file_id,
      (h.dataset as unknown as { path: string }).path,
      count,
      offset,
      strides,
      BigInt(ptr),
    );
    return M.HEAPU8.slice(ptr, ptr + nbytes);
  } catch (e) {
    throw new DataValidationError(field, `HDF5 read failed (file damaged or truncated?): ${(e as Error).message ?? e}`);
  } finally {
    M._free(ptr);
  }
}
