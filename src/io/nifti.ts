/**
 * NIfTI-1/2 reading via nifti-reader-js; gzip via node:zlib. Headers are read from the first bytes only,
 * 4-D series are streamed one volume at a time so that a 1 GB session never sits in memory whole.
 */
import { createReadStream, openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { gunzipSync, createGunzip } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { DataValidationError, isAbortError, throwIfAborted } from '../errors';

export interface NiftiHeaderInfo {
  /** Spatial and time dimensions, e.g. [X, Y, Z] or [X, Y, Z, T]. */
  shape: number[];
  datatypeCode: number;
  bytesPerVoxel: number;
  littleEndian: boolean;
  voxOffset: number;
  /** Effective scaling (slope 0 means "not set" in NIfTI and becomes 1). */
  sclSlope: number;
  sclInter: number;
  gzipped: boolean;
}

export type NiftiTypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

interface NiftiDatatype {
  name: string;
  bytes: number;
  array: new (n: number) => NiftiTypedArray;
  /** One voxel at a byte offset (any alignment, either endianness). */
  get: (v: DataView, offset: number, littleEndian: boolean) => number;
}

/** The NIfTI-1 datatype codes read here, by code. */
export const NIFTI_DATATYPES: Readonly<Record<number, NiftiDatatype>> = {
  2: { name: 'uint8', bytes: 1, array: Uint8Array, get: (v, o) => v.getUint8(o) },
  256: { name: 'int8', bytes: 1, array: Int8Array, get: (v, o) => v.getInt8(o) },
  4: { name: 'int16', bytes: 2, array: Int16Array, get: (v, o, le) => v.getInt16(o, le) },
  512: { name: 'uint16', bytes: 2, array: Uint16Array, get: (v, o, le) => v.getUint16(o, le) },
  8: { name: 'int32', bytes: 4, array: Int32Array, get: (v, o, le) => v.getInt32(o, le) },
  768: { name: 'uint32', bytes: 4, array: Uint32Array, get: (v, o, le) => v.getUint32(o, le) },
  16: { name: 'float32', bytes: 4, array: Float32Array, get: (v, o, le) => v.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, array: Float64Array, get: (v, o, le) => v.getFloat64(o, le) },
};

/** The datatype of `code`, or a DataValidationError naming `field`. */
export function niftiDatatype(code: number, field = 'file'): NiftiDatatype {
  const type = NIFTI_DATATYPES[code];
  if (!type) throw new DataValidationError(field, `unsupported NIfTI datatype code ${code}`);
  return type;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  // Slice to the view's own range: small Buffers share a pool.
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function parseHeader(bytes: Uint8Array, gzipped: boolean, field: string): NiftiHeaderInfo {
  const ab = toArrayBuffer(bytes);
  if (!nifti.isNIFTI(ab)) throw new DataValidationError(field, 'not a NIfTI file (bad header)');
  const h = nifti.readHeader(ab);
  const rank = h.dims[0];
  if (!(rank >= 1 && rank <= 7)) throw new DataValidationError(field, `NIfTI header has invalid rank ${rank}`);
  const shape = h.dims.slice(1, 1 + rank);
  // Trailing singleton dims (e.g. a 3-D volume stored with dim[4]=1) are dropped.
  while (shape.length > 3 && shape[shape.length - 1] === 1) shape.pop();
  const bpv = niftiDatatype(h.datatypeCode, field).bytes;
  const slope = Number.isFinite(h.scl_slope) && h.scl_slope !== 0 ? h.scl_slope : 1;
  const inter = Number.isFinite(h.scl_inter) && h.scl_slope !== 0 ? h.scl_inter : 0;
  return {
    shape,
    datatypeCode: h.datatypeCode,
    bytesPerVoxel: bpv,
    littleEndian: h.littleEndian,
    voxOffset: h.vox_offset,
    sclSlope: slope,
    sclInter: inter,
    gzipped,
  };
}

function readPrefix(file: string, n: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** First `n` decompressed bytes of a gzip file, decompressing only as much as needed. */
async function gunzipPrefix(file: string, n: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let have = 0;
  const src = createReadStream(file, { highWaterMark: 64 * 1024 });
  const gz = createGunzip();
  src.pipe(gz);
  try {
    for await (const c of gz) {
      chunks.push(c as Buffer);
      have += (c as Buffer).length;
      if (have >= n) break;
    }
  } catch {
    // a truncated stream still yields what it could decompress
  } finally {
    src.destroy();
    gz.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/**
 * Header of a NIfTI file (.nii or .nii.gz) read from its first bytes, plus a cheap truncation check:
 * for .nii the file size, for .nii.gz the gzip trailer's ISIZE (uncompressed size mod 2^32).
 * @throws DataValidationError (field) for non-NIfTI, unsupported datatypes or truncated files.
 */
export async function readNiftiHeader(file: string, field = 'file'): Promise<NiftiHeaderInfo> {
  let prefix: Uint8Array;
  try {
    prefix = readPrefix(file, 544);
  } catch (e) {
    throw new DataValidationError(field, `cannot read ${file}: ${(e as Error).message}`);
  }
  const gz = isGzip(prefix);
  const head = gz ? await gunzipPrefix(file, 544) : prefix;
  if (head.length < 348) throw new DataValidationError(field, 'NIfTI file is truncated (header incomplete)');
  const info = parseHeader(head, gz, field);
  const expected = info.voxOffset + info.shape.reduce((a, b) => a * b, 1) * info.bytesPerVoxel;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (!gz) {
      if (size < expected)
        throw new DataValidationError(field, `NIfTI file is truncated: ${size} bytes, header implies ${expected}`);
    } else {
      const tail = Buffer.alloc(4);
      readSync(fd, tail, 0, 4, size - 4);
      if (tail.readUInt32LE(0) !== expected % 2 ** 32) {
        throw new DataValidationError(field, 'gzip NIfTI is truncated or its data size disagrees with the header');
      }
    }
  } finally {
    closeSync(fd);
  }
  return info;
}

/** Decode `count` voxels of the header's datatype from `bytes` (any alignment, either endianness). */
export function decodeVoxels(info: NiftiHeaderInfo, bytes: Uint8Array, count: number): NiftiTypedArray {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = niftiDatatype(info.datatypeCode);
  const out = new type.array(count);
  for (let i = 0; i < count; i++) out[i] = type.get(v, i * type.bytes, info.littleEndian);
  return out;
}

export interface NiftiImage {
  info: NiftiHeaderInfo;
  /** Stored values (unscaled), x fastest: index = x + X*(y + Y*(z + Z*t)). */
  data: NiftiTypedArray;
}

/** Read a whole (small) NIfTI image: ROI volumes, masks, ncsnr. Values are unscaled; see `info.sclSlope`. */
export async function readNiftiImage(file: string, field = 'file'): Promise<NiftiImage> {
  const info = await readNiftiHeader(file, field);
  let raw: Uint8Array = readFileSync(file);
  if (info.gzipped) raw = gunzipSync(raw);
  const count = info.shape.reduce((a, b) => a * b, 1);
  const body = raw.subarray(info.voxOffset, info.voxOffset + count * info.bytesPerVoxel);
  if (body.length < count * info.bytesPerVoxel) throw new DataValidationError(field, 'NIfTI data is truncated');
  return { info, data: decodeVoxels(info, body, count) };
}

/**
 * Stream the volumes of a 4-D NIfTI (X, Y, Z, T), calling `onVolume(t, bytes)` with the raw bytes of
 * volume t (valid only during the call). Memory stays at about one volume plus the gzip window.
 */
export async function streamNiftiVolumes(
  file: string,
  info: NiftiHeaderInfo,
  onVolume: (t: number, bytes: Uint8Array) => void,
  signal?: AbortSignal,
  field = 'file',
): Promise<void> {
  const [X, Y, Z] = info.shape;
  const T = info.shape[3] ?? 1;
  const volBytes = X * Y * Z * info.bytesPerVoxel;
  const vol = new Uint8Array(volBytes);
  let skip = info.voxOffset;
  let fill = 0;
  let t = 0;
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = info.gzipped ? src.pipe(createGunzip({ chunkSize: 1 << 20 })) : src;
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal);
      let c = chunk as Buffer;
      if (skip > 0) {
        const s = Math.min(skip, c.length);
        skip -= s;
        c = c.subarray(s);
      }
      while (c.length > 0 && t < T) {
        const take = Math.min(volBytes - fill, c.length);
        vol.set(c.subarray(0, take), fill);
        fill += take;
        c = c.subarray(take);
        if (fill === volBytes) {
          onVolume(t++, vol);
          fill = 0;
        }
      }
      if (t >= T) break;
    }
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw new DataValidationError(field, `cannot read NIfTI data: ${(e as Error).message}`);
  } finally {
    src.destroy();
  }
  if (t < T) throw new DataValidationError(field, `NIfTI data is truncated: ${t} of ${T} volumes`);
}
