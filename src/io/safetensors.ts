/**
 * Minimal safetensors reader/writer (https://github.com/huggingface/safetensors, "format"):
 *   8 bytes: N, little-endian u64 header length
 *   N bytes: UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}
 *   rest:    raw little-endian tensor bytes; offsets are relative to the start of this byte buffer.
 * Reading decodes F32, F64, F16 and BF16 to float32/float64 and I32/I64 to int32 (checked range); writing
 * emits F32/F64/I32 with the header padded by spaces to a multiple of 8 bytes.
 */
import { halfToFloat } from './float16';
import { DataValidationError } from '../errors';

export type SafetensorsDtype = 'F16' | 'BF16' | 'F32' | 'F64' | 'I32' | 'I64';

export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Decoded values in C order: F16/BF16/F32 -> Float32Array, F64 -> Float64Array, I32/I64 -> Int32Array. */
  data: Float32Array | Float64Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

const ITEM: Record<SafetensorsDtype, number> = { F16: 2, BF16: 2, F32: 4, F64: 8, I32: 4, I64: 8 };

/** Decode `count` little-endian values of `dtype` (see SafeTensor.data for the array types). */
function decodeTensor(name: string, dtype: SafetensorsDtype, bytes: Uint8Array, count: number): SafeTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data: Float32Array | Float64Array | Int32Array;
  switch (dtype) {
    case 'F32':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat64(i * 8, true);
      break;
    case 'F16':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const f = new Float32Array(count);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      data = f;
      break;
    }
    case 'I32':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt32(i * 4, true);
      break;
    case 'I64':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new DataValidationError(name, 'I64 value outside the int32 range');
        data[i] = Number(v);
      }
      break;
  }
  return data;
}

/** Parse a safetensors file held in memory. Malformed files throw DataValidationError (field "file" or the tensor name). */
export function readSafetensors(buf: Uint8Array): SafetensorsFile {
  if (buf.byteLength < 8) throw new DataValidationError('file', 'not a safetensors file (shorter than 8 bytes)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > buf.byteLength || n > 100_000_000)
    throw new DataValidationError('file', `bad safetensors header length ${n}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch {
    throw new DataValidationError('file', 'safetensors header is not valid UTF-8 JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new DataValidationError('file', 'safetensors header is not a JSON object');
  const body = buf.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object')
        throw new DataValidationError('__metadata__', 'must be an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new DataValidationError('__metadata__', 'every value must be a string');
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafetensorsDtype;
    if (!(typeof dtype === 'string' && dtype in ITEM))
      throw new DataValidationError(name, `unsupported dtype (use one of ${Object.keys(ITEM).join(', ')})`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0))
      throw new DataValidationError(name, 'bad shape');
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0))
      throw new DataValidationError(name, 'bad data_offsets');
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > body.byteLength || end - begin !== count * ITEM[dtype]) {
      throw new DataValidationError(
        name,
        `data_offsets [${begin}, ${end}] do not hold ${count} ${dtype} values inside the file`,
      );
    }
    const data = decodeTensor(name, dtype, body.subarray(begin, end), count);
    tensors[name] = { dtype, shape: shape as number[], data };
  }
  return { tensors, metadata };
}

/** Serialise tensors (Float32Array -> F32, Float64Array -> F64, Int32Array -> I32) and string metadata. */
export function writeSafetensors(
  tensors: Record<string, { shape: number[]; data: Float32Array | Float64Array | Int32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new RangeError(`tensor ${name}: shape ${t.shape} holds ${count} values, data has ${t.data.length}`);
    const dtype = t.data instanceof Float32Array ? 'F32' : t.data instanceof Float64Array ? 'F64' : 'I32';
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    // Typed arrays are little-endian on every platform Node supports here (x86_64, arm64).
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  let jsonBytes = new TextEncoder().encode(json);
  const pad = (8 - (jsonBytes.byteLength % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    jsonBytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.byteLength;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}
