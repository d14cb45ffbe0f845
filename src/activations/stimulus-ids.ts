/** Stimulus ids (nsdIds) of activation rows, from .npy, .json, .csv or an HDF5 dataset. */
import { DataValidationError } from '../errors';
import { FILE_READERS, fileKindOf } from '../io/file-kinds';
import { readH5Slab } from '../io/hdf5';
import { NpyFormatError } from '../io/npy';

export interface ReadIdsOptions {
  /** HDF5 dataset holding the ids (for .h5/.hdf5 files). */
  dataset?: string;
  /** CSV column (default: "nsdId" if present, else the only column). JSON: key of an object holding the array (default "nsdIds" when the root is an object). */
  column?: string;
  field?: string;
}

function checkedIds(values: ArrayLike<number | bigint | string>, field: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1)
      throw new DataValidationError(`${field}[${i}]`, 'stimulus id is not a non-negative integer');
    out[i] = v;
  }
  return out;
}

/**
 * Read stimulus ids as Int32Array (one per activation row, file order).
 * .npy: 1-D integer array (or integral floats). .json: array, or object with `column`/"nsdIds".
 * .csv (.tsv, .txt): column `column`, else "nsdId", else the single column (header optional). HDF5: `dataset`.
 * @throws DataValidationError (field, or field[i] for a bad entry).
 */
export async function readStimulusIds(file: string, opts: ReadIdsOptions = {}): Promise<Int32Array> {
  const field = opts.field ?? 'stimulusIds';
  const kind = fileKindOf(file);
  try {
    if (kind === 'hdf5') return await idsFromHdf5(file, opts, field);
    if (kind === 'npy') return idsFromNpy(file, field);
    if (kind === 'json') return idsFromJson(file, opts, field);
    if (kind === 'csv') return idsFromCsv(file, opts, field);
  } catch (e) {
    if (e instanceof DataValidationError) throw e;
    // JSON.parse and the .npy reader's messages may quote the file; name only the kind of failure.
    const reason =
      e instanceof SyntaxError
        ? 'the file is not valid JSON'
        : e instanceof NpyFormatError
          ? e.message
          : `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'read error'})`;
    throw new DataValidationError(field, `cannot read stimulus ids: ${reason}`);
  }
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  throw new DataValidationError(field, `unsupported ids file type "${ext ?? ''}" (use .npy, .json, .csv or HDF5)`);
}

async function idsFromHdf5(file: string, opts: ReadIdsOptions, field: string): Promise<Int32Array> {
  if (!opts.dataset) throw new DataValidationError(`${field}.dataset`, 'an HDF5 ids file needs a dataset name');
  const h = await FILE_READERS.hdf5.read(file, opts.dataset, field);
  try {
    if (h.info.shape.length !== 1)
      throw new DataValidationError(field, `ids dataset must be 1-D, got [${h.info.shape}]`);
    return checkedIds(Array.from(readH5Slab(h, [[0, h.info.shape[0]]], field) as ArrayLike<number>), field);
  } finally {
    h.close();
  }
}

function idsFromNpy(file: string, field: string): Int32Array {
  const a = FILE_READERS.npy.read(file);
  if (a.shape.length !== 1 && !(a.shape.length === 2 && a.shape[1] === 1))
    throw new DataValidationError(field, `ids must be 1-D, got shape [${a.shape}]`);
  return checkedIds(a.data as ArrayLike<number>, field);
}

function idsFromJson(file: string, opts: ReadIdsOptions, field: string): Int32Array {
  const j = FILE_READERS.json.read(file) as Record<string, unknown> | unknown[] | null;
  const arr = Array.isArray(j) ? j : j?.[opts.column ?? 'nsdIds'];
  if (!Array.isArray(arr)) throw new DataValidationError(field, 'JSON ids must be an array or an object holding one');
  return checkedIds(arr, field);
}

function idsFromCsv(file: string, opts: ReadIdsOptions, field: string): Int32Array {
  const rows = FILE_READERS.csv.read(file).filter((r) => r.some((c) => c.trim() !== ''));
  if (rows.length === 0) return new Int32Array(0);
  const header = rows[0].map((c) => c.trim());
  const hasHeader = header.some((c) => c !== '' && !/^-?\d+(\.0*)?$/.test(c));
  let col = 0;
  if (hasHeader) {
    const want = opts.column ?? (header.includes('nsdId') ? 'nsdId' : header.length === 1 ? header[0] : undefined);
    col = want === undefined ? -1 : header.indexOf(want);
    if (col < 0)
      throw new DataValidationError(
        `${field}.column`,
        `CSV has no column ${opts.column === undefined ? '"nsdId"' : 'named by column'} among its ${header.length} columns`,
      );
  } else if (rows[0].length !== 1) {
    throw new DataValidationError(field, 'a CSV without header must have one column');
  }
  return checkedIds(
    rows.slice(hasHeader ? 1 : 0).map((r) => (r[col] ?? '').trim()),
    field,
  );
}
