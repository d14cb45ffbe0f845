/**
 * NumPy .npy format (versions 1.0, 2.0, 3.0): read and write. Spec: numpy/lib/format.py.
 * Reading returns the data in C (row-major) order whatever the file's order, converted to a JS typed
 * array of the stored precision (float16 widens to float32).
 */
import { halfToFloat } from './float16';

export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** True when the file stored the array in Fortran order (the returned data is C order regardless). */
  fortranOrder: boolean;
  data: NpyData;
}

export class NpyFormatError extends Error {
  override name = 'NpyFormatError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ITEM_SIZE: Record<NpyDtype, number> = {
  f2: 2,
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};

const UNSUPPORTED_DTYPE = 'unsupported .npy dtype (use float16/32/64, signed or unsigned integers, or bool)';

function parseHeader(text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  // The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    // Never quote the header: errors must not echo file contents.
    throw new NpyFormatError('unreadable .npy header (not a dict with descr, fortran_order and shape)');
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new NpyFormatError('bad .npy shape entry (not a non-negative integer)');
      return v;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Copy `count` elements of dtype from bytes (explicit endianness) into a new typed array. */
function decode(bytes: Uint8Array, dtype: NpyDtype, little: boolean, count: number): NpyData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = ITEM_SIZE[dtype];
  if (bytes.byteLength < count * size) {
    throw new NpyFormatError(`.npy data truncated: need ${count * size} bytes, have ${bytes.byteLength}`);
  }
  switch (dtype) {
    case 'f2': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, little));
      return out;
    }
    case 'f4': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, little);
      return out;
    }
    case 'f8': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, little);
      return out;
    }
    case 'i1':
      return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count));
    case 'u1':
    case 'b1':
      return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count));
    case 'i2': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, little);
      return out;
    }
    case 'u2': {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, little);
      return out;
    }
    case 'i4': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, little);
      return out;
    }
    case 'u4': {
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, little);
      return out;
    }
    case 'i8': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8, little);
      return out;
    }
    case 'u8': {
      const out = new BigUint64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getBigUint64(i * 8, little);
      return out;
    }
  }
}

/** Fortran-order data -> C order, for any rank. */
function fortranToC<T extends NpyData>(data: T, shape: number[]): T {
  if (shape.length < 2) return data;
  const n = data.length;
  const out = new (data.constructor as { new (n: number): T })(n);
  const rank = shape.length;
  // strides in the Fortran layout
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let d = 1; d < rank; d++) fStride[d] = fStride[d - 1] * shape[d - 1];
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += idx[d] * fStride[d];
    (out as unknown as { [i: number]: number | bigint })[c] = (data as unknown as { [i: number]: number | bigint })[f];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** What a .npy file's preamble (magic, version, header) says; the data starts at dataOffset. */
export interface NpyPreamble {
  dtype: NpyDtype;
  /** Byte order of the stored elements. */
  little: boolean;
  shape: number[];
  fortranOrder: boolean;
  dataOffset: number;
  /** Bytes per element as stored. */
  itemSize: number;
}

/**
 * Parse a .npy preamble from the file's first bytes (a whole file, or a prefix holding the header: streaming
 * readers read a prefix). Throws NpyFormatError, also when `buf` ends inside the header.
 */
export function readNpyPreamble(buf: Uint8Array): NpyPreamble {
  if (buf.byteLength < 10 || MAGIC.some((b, i) => buf[i] !== b))
    throw new NpyFormatError('not a .npy file (bad magic)');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if ((major === 2 || major === 3) && buf.byteLength >= 12) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new NpyFormatError(`unsupported .npy version ${major}`);
  }
  if (offset + headerLen > buf.byteLength) throw new NpyFormatError('.npy header truncated');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(offset, offset + headerLen));
  const { descr, fortranOrder, shape } = parseHeader(header);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new NpyFormatError(UNSUPPORTED_DTYPE);
  const dtype = `${m[2]}${m[3]}` as NpyDtype;
  if (!(dtype in ITEM_SIZE)) throw new NpyFormatError(UNSUPPORTED_DTYPE);
  return {
    dtype,
    little: m[1] !== '>',
    shape,
    fortranOrder,
    dataOffset: offset + headerLen,
    itemSize: ITEM_SIZE[dtype],
  };
}

/** Parse a whole .npy file held in memory. */
export function readNpy(buf: Uint8Array): NpyArray {
  const { dtype, little, shape, fortranOrder, dataOffset } = readNpyPreamble(buf);
  const count = shape.reduce((a, b) => a * b, 1);
  let data = decode(buf.subarray(dataOffset), dtype, little, count);
  if (fortranOrder) data = fortranToC(data, shape);
  return { dtype, shape, fortranOrder, data };
}

/** Serialise a C-order float32/float64/int32 array as .npy version 1.0 (little-endian). */
export function writeNpy(
  data: Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array,
  shape: number[],
): Uint8Array {
  const descr =
    data instanceof Float32Array
      ? '<f4'
      : data instanceof Float64Array
        ? '<f8'
        : data instanceof Int32Array
          ? '<i4'
          : data instanceof Int16Array
            ? '<i2'
            : '|u1';
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape ${shape} holds ${count} values, data has ${data.length}`);
  const head = npyHeader(descr, shape);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head, 0);
  // Typed arrays are little-endian on every platform Node supports here (x86_64, arm64).
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), head.length);
  return out;
}

/** The bytes of a .npy version 1.0 header (C order): what precedes the data, for writers that stream it. */
export function npyHeader(descr: '<f4' | '<f8' | '<i4' | '<i2' | '|u1', shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += `${' '.repeat(pad % 64)}\n`;
  const out = new Uint8Array(10 + header.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}
