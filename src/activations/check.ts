/**
 * Checking an activations file before a layer is registered: its shape (stimuli x units), a float dtype and
 * every value finite (as float32, the precision every reader returns). A .npy file is streamed a chunk at a time,
 * so a 2 GiB upload is checked in a few megabytes of memory; an HDF5 dataset is read as readActivations reads it.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { DataValidationError } from '../errors';
import { fileKindOf } from '../io/file-kinds';
import { type NpyPreamble, NpyFormatError, readNpyPreamble } from '../io/npy';
import { readActivations } from './load';

export interface CheckedActivations {
  rows: number;
  cols: number;
}

/** Bytes read per step (a multiple of every item size). */
const CHUNK_BYTES = 8 << 20;
/** The most of a file read for its .npy header. */
const HEADER_BYTES = 1 << 20;
const HOST_LITTLE = endianness() === 'LE';

function nonFinite(field: string, row: number, col: number): DataValidationError {
  return new DataValidationError(field, `non-finite value at row ${row}, column ${col}`);
}

/**
 * Check an activations file without keeping its values (module comment); returns its shape. `dataset`: the HDF5
 * dataset. Errors are DataValidationError naming `field` and, for a non-finite value, its row and column.
 */
export async function checkActivationsFile(
  file: string,
  opts: { dataset?: string; field: string },
): Promise<CheckedActivations> {
  if (fileKindOf(file) === 'hdf5') {
    const m = await readActivations(file, opts);
    for (let i = 0; i < m.data.length; i++)
      if (!Number.isFinite(m.data[i])) throw nonFinite(opts.field, Math.floor(i / m.cols), i % m.cols);
    return { rows: m.rows, cols: m.cols };
  }
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new DataValidationError(opts.field, `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return await checkNpy(fh, opts.field);
  } finally {
    await fh.close();
  }
}

async function npyPreamble(fh: FileHandle, size: number, field: string): Promise<NpyPreamble> {
  const head = Buffer.alloc(Math.min(size, HEADER_BYTES));
  await fh.read(head, 0, head.length, 0);
  try {
    return readNpyPreamble(head);
  } catch (e) {
    if (e instanceof NpyFormatError) throw new DataValidationError(field, e.message);
    throw e;
  }
}

/** Rows and columns of an activations array's shape (1-D: one column), as readActivations takes them. */
function matrixShape(shape: number[], field: string): CheckedActivations {
  if (shape.length === 1) return { rows: shape[0], cols: 1 };
  if (shape.length !== 2)
    throw new DataValidationError(field, `activations must be 2-D (stimuli x units), got shape [${shape}]`);
  return { rows: shape[0], cols: shape[1] };
}

async function checkNpy(fh: FileHandle, field: string): Promise<CheckedActivations> {
  const size = (await fh.stat()).size;
  const pre = await npyPreamble(fh, size, field);
  if (!pre.dtype.startsWith('f'))
    throw new DataValidationError(field, `activations must be float16/32/64, got ${pre.dtype}`);
  const { rows, cols } = matrixShape(pre.shape, field);
  const need = rows * cols * pre.itemSize;
  const have = size - pre.dataOffset;
  if (have < need) throw new DataValidationError(field, `.npy data truncated: need ${need} bytes, have ${have}`);
  const buf = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  for (let pos = 0; pos < need; pos += CHUNK_BYTES) {
    const n = Math.min(CHUNK_BYTES, need - pos);
    const { bytesRead } = await fh.read(buf, 0, n, pre.dataOffset + pos);
    if (bytesRead < n) throw new DataValidationError(field, `.npy data truncated while reading (${pos + bytesRead})`);
    const bad = firstNonFinite(buf, n / pre.itemSize, pre);
    if (bad < 0) continue;
    const e = pos / pre.itemSize + bad;
    if (pre.fortranOrder) throw nonFinite(field, e % rows, Math.floor(e / rows));
    throw nonFinite(field, Math.floor(e / cols), e % cols);
  }
  return { rows, cols };
}

/** The index of the first of `count` stored elements that is not a finite float32, or -1. */
function firstNonFinite(buf: Buffer, count: number, pre: NpyPreamble): number {
  const native = pre.little === HOST_LITTLE;
  if (pre.dtype === 'f2') {
    // float16: exponent bits all ones (infinity or NaN).
    for (let i = 0; i < count; i++) {
      const h = pre.little ? buf[2 * i] | (buf[2 * i + 1] << 8) : (buf[2 * i] << 8) | buf[2 * i + 1];
      if ((h & 0x7c00) === 0x7c00) return i;
    }
    return -1;
  }
  if (pre.dtype === 'f4') {
    if (native) {
      const v = new Float32Array(buf.buffer, buf.byteOffset, count);
      for (let i = 0; i < count; i++) if (v[i] - v[i] !== 0) return i;
      return -1;
    }
    for (let i = 0; i < count; i++)
      if (!Number.isFinite(pre.little ? buf.readFloatLE(4 * i) : buf.readFloatBE(4 * i))) return i;
    return -1;
  }
  // float64 beyond float32's range becomes infinite when read as float32: refused as the readers would.
  const v = native ? new Float64Array(buf.buffer, buf.byteOffset, count) : null;
  for (let i = 0; i < count; i++) {
    const x = v ? v[i] : pre.little ? buf.readDoubleLE(8 * i) : buf.readDoubleBE(8 * i);
    if (!Number.isFinite(Math.fround(x))) return i;
  }
  return -1;
}
