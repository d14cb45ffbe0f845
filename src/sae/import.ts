/**
 * Import trained TopK SAE weights from .safetensors or .npz (numpy.savez / savez_compressed).
 *
 * Tensors (first name found wins):
 *   W_enc: W_enc | w_enc | encoder.weight | encoder_weight      math layout d x m, torch nn.Linear layout m x d
 *   b_enc: b_enc | encoder.bias | encoder_bias | latent_bias     m
 *   W_dec: W_dec | w_dec | decoder.weight | decoder_weight      math layout m x d, torch nn.Linear layout d x m
 *   b_dec: b_dec | decoder.bias | decoder_bias | pre_bias | b_pre   d
 * d is the length of b_dec and m that of b_enc. With orientation 'auto' (default) each matrix's layout is read
 * from its shape; when d == m the shape cannot tell, and the import fails unless `orientation` is given (or
 * the file is this library's own format, which is always 'math').
 * k: options.k, else safetensors metadata "k", else a scalar integer tensor/array named "k".
 * Preprocessing: DEFAULT_PREPROCESSING, overridden by safetensors metadata "preprocessing" (JSON), overridden
 * by options.preprocessing.
 * SAELens' apply_b_dec_to_input and OpenAI's pre_bias (x - b_dec enters the encoder) are supported by folding:
 * b_enc <- b_enc - b_dec W_enc (float64 arithmetic). This is on by default when the bias was named pre_bias/b_pre.
 * Every problem throws SaeValidationError naming the field (tensor name, "k", "preprocessing.*" or "file").
 */
import { readFile } from 'node:fs/promises';
import { DataValidationError } from '../errors';
import { fileKindOf } from '../io/file-kinds';
import { readNpz } from '../io/npz';
import { readSafetensors } from '../io/safetensors';
import { SaeValidationError } from './errors';
import { DEFAULT_PREPROCESSING, validateSae, type SaePreprocessing, type TopKSae } from './model';

export const SAE_FORMAT = 'brain-align/topk-sae';

export interface SaeImportOptions {
  /** Default: detected from the first bytes ("PK" = npz, else safetensors). */
  format?: 'safetensors' | 'npz';
  /** Overrides the k stored in the file. */
  k?: number;
  /** Overrides fields of the stored (or default) preprocessing. */
  preprocessing?: Partial<SaePreprocessing>;
  /** 'math': W_enc d x m, W_dec m x d. 'torch': nn.Linear layout, W_enc m x d, W_dec d x m. Default 'auto'. */
  orientation?: 'auto' | 'math' | 'torch';
  /** Fold "subtract b_dec from the input before encoding" into b_enc (see above). */
  applyDecoderBiasToInput?: boolean;
  /** Extra metadata to attach (e.g. provenance); file metadata is kept too. */
  metadata?: Record<string, string>;
}

export interface RawArray {
  shape: number[];
  data: ArrayLike<number | bigint>;
}

const NAMES = {
  W_enc: ['W_enc', 'w_enc', 'encoder.weight', 'encoder_weight'],
  b_enc: ['b_enc', 'encoder.bias', 'encoder_bias', 'latent_bias'],
  W_dec: ['W_dec', 'w_dec', 'decoder.weight', 'decoder_weight'],
  b_dec: ['b_dec', 'decoder.bias', 'decoder_bias', 'pre_bias', 'b_pre'],
} as const;

function pick(arrays: Record<string, RawArray>, field: keyof typeof NAMES): { name: string; arr: RawArray } {
  for (const name of NAMES[field]) if (arrays[name]) return { name, arr: arrays[name] };
  throw new SaeValidationError(
    field,
    `missing: none of ${NAMES[field].join(', ')} found (file has ${Object.keys(arrays).join(', ') || 'no arrays'})`,
  );
}

function toF32(field: string, a: RawArray): Float32Array {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(a.data[i]);
    if (!Number.isFinite(v)) throw new SaeValidationError(field, `contains a non-finite value at flat index ${i}`);
    out[i] = v;
  }
  return out;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

/**
 * Matrix `field` in math layout (rows x cols). `transposedLayout` = what the torch layout would be.
 */
function orient(
  field: string,
  a: RawArray,
  rows: number,
  cols: number,
  orientation: 'auto' | 'math' | 'torch',
): Float32Array {
  const s = a.shape;
  if (s.length !== 2) throw new SaeValidationError(field, `expected a 2-D array, got shape [${s.join(', ')}]`);
  const isMath = s[0] === rows && s[1] === cols;
  const isTorch = s[0] === cols && s[1] === rows;
  const want = field === 'W_enc' ? `[d, m] = [${rows}, ${cols}]` : `[m, d] = [${rows}, ${cols}]`;
  if (orientation === 'math') {
    if (!isMath)
      throw new SaeValidationError(field, `expected shape ${want} (orientation 'math'), got [${s.join(', ')}]`);
    return toF32(field, a);
  }
  if (orientation === 'torch') {
    if (!isTorch)
      throw new SaeValidationError(
        field,
        `expected shape [${cols}, ${rows}] (orientation 'torch'), got [${s.join(', ')}]`,
      );
    return transpose(toF32(field, a), cols, rows);
  }
  if (isMath && isTorch)
    throw new SaeValidationError(
      field,
      `square [${rows}, ${cols}]: orientation is ambiguous; pass orientation 'math' or 'torch'`,
    );
  if (isMath) return toF32(field, a);
  if (isTorch) return transpose(toF32(field, a), cols, rows);
  throw new SaeValidationError(
    field,
    `shape [${s.join(', ')}] fits neither ${want} nor its transpose (d from b_dec, m from b_enc)`,
  );
}

function readScalarInt(field: string, a: RawArray): number {
  if (a.data.length !== 1) throw new SaeValidationError(field, `expected a scalar, got shape [${a.shape.join(', ')}]`);
  const v = Number(a.data[0]);
  if (!Number.isInteger(v)) throw new SaeValidationError(field, `expected an integer, got ${v}`);
  return v;
}

function parsePreprocessing(text: string): Partial<SaePreprocessing> {
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Partial<SaePreprocessing>;
  } catch {
    /* fall through */
  }
  throw new SaeValidationError('preprocessing', 'metadata "preprocessing" is not a JSON object');
}

/** Arrays and string metadata of an in-memory .npz or .safetensors file. */
export function readWeightArchive(
  bytes: Uint8Array,
  format?: 'safetensors' | 'npz',
): { arrays: Record<string, RawArray>; metadata: Record<string, string> } {
  const fmt = format ?? (bytes[0] === 0x50 && bytes[1] === 0x4b ? 'npz' : 'safetensors');
  try {
    if (fmt === 'safetensors') {
      const f = readSafetensors(bytes);
      return { arrays: f.tensors, metadata: f.metadata };
    }
    return { arrays: readNpz(bytes), metadata: {} };
  } catch (err) {
    // The file readers know formats, not SAEs: their errors become the SAE library's, same field and reason.
    if (err instanceof DataValidationError && !(err instanceof SaeValidationError))
      throw new SaeValidationError(err.field, err.reason, { cause: err });
    throw err;
  }
}

/** Build a validated TopKSae from an in-memory .safetensors or .npz file (see the module comment). */
export function importSae(bytes: Uint8Array, options: SaeImportOptions = {}): TopKSae {
  return importSaeArchive(readWeightArchive(bytes, options.format), options);
}

/** Build a validated TopKSae from arrays and metadata already read by readWeightArchive. */
export function importSaeArchive(
  archive: { arrays: Record<string, RawArray>; metadata: Record<string, string> },
  options: SaeImportOptions = {},
): TopKSae {
  const { arrays, metadata } = archive;
  const ours = metadata.format === SAE_FORMAT;
  const orientation = options.orientation ?? (ours ? 'math' : 'auto');
  const bEncRaw = pick(arrays, 'b_enc');
  const bDecRaw = pick(arrays, 'b_dec');
  if (bEncRaw.arr.shape.length !== 1)
    throw new SaeValidationError('b_enc', `expected a 1-D array, got shape [${bEncRaw.arr.shape.join(', ')}]`);
  if (bDecRaw.arr.shape.length !== 1)
    throw new SaeValidationError('b_dec', `expected a 1-D array, got shape [${bDecRaw.arr.shape.join(', ')}]`);
  const m = bEncRaw.arr.shape[0];
  const d = bDecRaw.arr.shape[0];
  if (m < 1) throw new SaeValidationError('b_enc', 'is empty');
  if (d < 1) throw new SaeValidationError('b_dec', 'is empty');
  const wEnc = orient('W_enc', pick(arrays, 'W_enc').arr, d, m, orientation);
  const wDec = orient('W_dec', pick(arrays, 'W_dec').arr, m, d, orientation);
  const bEnc = toF32('b_enc', bEncRaw.arr);
  const bDec = toF32('b_dec', bDecRaw.arr);

  let k = options.k;
  if (k === undefined && metadata.k !== undefined) {
    k = Number(metadata.k);
    if (!Number.isInteger(k)) throw new SaeValidationError('k', `metadata "k" is not an integer: ${metadata.k}`);
  }
  if (k === undefined && arrays.k) k = readScalarInt('k', arrays.k);
  if (k === undefined)
    throw new SaeValidationError('k', 'missing: pass k or store it in the file (metadata "k" or an array "k")');

  const preprocessing: SaePreprocessing = {
    ...DEFAULT_PREPROCESSING,
    ...(metadata.preprocessing !== undefined ? parsePreprocessing(metadata.preprocessing) : {}),
    ...(options.preprocessing ?? {}),
  };

  const fold = options.applyDecoderBiasToInput ?? (bDecRaw.name === 'pre_bias' || bDecRaw.name === 'b_pre');
  if (fold) {
    for (let j = 0; j < m; j++) {
      let s = bEnc[j];
      for (let i = 0; i < d; i++) s -= bDec[i] * wEnc[i * m + j];
      bEnc[j] = s;
    }
  }

  const extra: Record<string, string> = { ...metadata };
  delete extra.format;
  delete extra.version;
  delete extra.k;
  delete extra.preprocessing;
  delete extra.input_dim;
  delete extra.latent_dim;
  const sae: TopKSae = {
    inputDim: d,
    latentDim: m,
    k,
    preprocessing,
    weights: { wEnc: { rows: d, cols: m, data: wEnc }, bEnc, wDec: { rows: m, cols: d, data: wDec }, bDec },
    metadata: { ...extra, ...(fold ? { decoder_bias_folded_into_encoder: 'true' } : {}), ...(options.metadata ?? {}) },
  };
  validateSae(sae);
  return sae;
}

/** importSae on a file read from disk. */
export async function importSaeFile(path: string, options: SaeImportOptions = {}): Promise<TopKSae> {
  const bytes = new Uint8Array(await readFile(path));
  const kind = fileKindOf(path);
  const format = options.format ?? (kind === 'npz' || kind === 'safetensors' ? kind : undefined);
  return importSae(bytes, { ...options, format });
}
