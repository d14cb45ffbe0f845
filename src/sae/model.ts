/**
 * TopK sparse autoencoder: types, input preprocessing, validation and initialisation.
 *
 *   x' = preprocess(x)                       (optional ReLU clamp, then LN per sample)
 *   z  = ReLU(TopK_k(x' W_enc + b_enc))      (TopK keeps the k largest pre-activations, ties -> lowest index)
 *   x^ = z W_dec + b_dec
 *
 * Shapes (d = input width, m = latents): W_enc d x m, b_enc m, W_dec m x d, b_dec d; all float32, row-major.
 */
import type { DenseMatrix, FloatArray } from '../compute/matrix';
import type { Rng } from '../compute/random';
import { SaeValidationError } from './errors';

/**
 * Per-sample input preprocessing, stored with every SAE so that imports and encodings match training.
 * LN (paper and OpenAI's sparse_autoencoder `LN`): x <- (x - mean(x)) / (sd(x) + eps) with sd over the units
 * of the sample using `ddof` (1 = n-1 denominator, torch.std's default), when epsPlacement = 'sd';
 * x <- (x - mean) / sqrt(var + eps) when epsPlacement = 'var' (torch.nn.LayerNorm style, var with `ddof`).
 * Constant samples map to the zero vector.
 */
export interface SaePreprocessing {
  /** ReLU before LN (CNN layers: clamp at 0 first). */
  clampNegative: boolean;
  /** LN per sample; false leaves the (possibly clamped) input unchanged. */
  layerNorm: boolean;
  /** Delta degrees of freedom of the per-sample standard deviation: 0 (n) or 1 (n - 1). */
  ddof: 0 | 1;
  eps: number;
  epsPlacement: 'sd' | 'var';
}

/** Paper default: no clamp, LN with n-1 sd plus 1e-5. */
export const DEFAULT_PREPROCESSING: Readonly<SaePreprocessing> = Object.freeze({
  clampNegative: false,
  layerNorm: true,
  ddof: 1,
  eps: 1e-5,
  epsPlacement: 'sd',
});

export interface SaeWeights {
  /** d x m */
  wEnc: DenseMatrix<Float32Array>;
  /** m */
  bEnc: Float32Array;
  /** m x d */
  wDec: DenseMatrix<Float32Array>;
  /** d */
  bDec: Float32Array;
}

export interface TopKSae {
  /** d: input width (units of the layer). */
  inputDim: number;
  /** m: number of latents. */
  latentDim: number;
  /** Non-zeros kept per sample (before the ReLU, which may zero some). */
  k: number;
  preprocessing: SaePreprocessing;
  weights: SaeWeights;
  /** Free string metadata saved with the weights (training settings, provenance). */
  metadata: Record<string, string>;
}

function checkShape(field: string, m: DenseMatrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols || m.data.length !== rows * cols) {
    throw new SaeValidationError(field, `expected shape [${rows}, ${cols}], got [${m.rows}, ${m.cols}]`);
  }
}

function checkFinite(field: string, a: FloatArray): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new SaeValidationError(field, `contains a non-finite value at flat index ${i}`);
  }
}

/** Validate preprocessing settings (field names prefixed "preprocessing."). */
export function validatePreprocessing(p: SaePreprocessing): void {
  if (typeof p.clampNegative !== 'boolean')
    throw new SaeValidationError('preprocessing.clampNegative', 'must be a boolean');
  if (typeof p.layerNorm !== 'boolean') throw new SaeValidationError('preprocessing.layerNorm', 'must be a boolean');
  if (p.ddof !== 0 && p.ddof !== 1) throw new SaeValidationError('preprocessing.ddof', 'must be 0 or 1');
  if (!(typeof p.eps === 'number' && Number.isFinite(p.eps) && p.eps >= 0))
    throw new SaeValidationError('preprocessing.eps', 'must be a finite number >= 0');
  if (p.epsPlacement !== 'sd' && p.epsPlacement !== 'var')
    throw new SaeValidationError('preprocessing.epsPlacement', "must be 'sd' or 'var'");
}

/** Check dimensions, k, shapes and finiteness of an SAE; throws SaeValidationError naming the field. */
export function validateSae(sae: TopKSae): void {
  const { inputDim: d, latentDim: m, k } = sae;
  if (!Number.isInteger(d) || d < 1) throw new SaeValidationError('inputDim', `must be a positive integer, got ${d}`);
  if (!Number.isInteger(m) || m < 1) throw new SaeValidationError('latentDim', `must be a positive integer, got ${m}`);
  if (!Number.isInteger(k) || k < 1) throw new SaeValidationError('k', `must be a positive integer, got ${k}`);
  if (k > m) throw new SaeValidationError('k', `k = ${k} exceeds the number of latents ${m}`);
  validatePreprocessing(sae.preprocessing);
  const w = sae.weights;
  checkShape('W_enc', w.wEnc, d, m);
  checkShape('W_dec', w.wDec, m, d);
  if (w.bEnc.length !== m) throw new SaeValidationError('b_enc', `expected length ${m}, got ${w.bEnc.length}`);
  if (w.bDec.length !== d) throw new SaeValidationError('b_dec', `expected length ${d}, got ${w.bDec.length}`);
  checkFinite('W_enc', w.wEnc.data);
  checkFinite('b_enc', w.bEnc);
  checkFinite('W_dec', w.wDec.data);
  checkFinite('b_dec', w.bDec);
}

/**
 * Apply preprocessing to every row of X (n x d, float32 or float64); arithmetic in float64, result float32 n x d.
 * Rows are independent, so chunks can be preprocessed separately.
 */
export function preprocessRows(X: DenseMatrix, p: SaePreprocessing): Float32Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float32Array(n * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      let v = data[base + j];
      if (p.clampNegative && !(v > 0)) v = 0;
      row[j] = v;
      sum += v;
    }
    if (!p.layerNorm) {
      for (let j = 0; j < d; j++) out[base + j] = row[j];
      continue;
    }
    const mean = sum / d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const c = row[j] - mean;
      row[j] = c;
      ss += c * c;
    }
    const dof = d - p.ddof;
    const variance = dof > 0 ? ss / dof : 0;
    const denom = p.epsPlacement === 'sd' ? Math.sqrt(variance) + p.eps : Math.sqrt(variance + p.eps);
    if (variance === 0 || denom === 0) continue; // constant sample -> zeros
    const inv = 1 / denom;
    for (let j = 0; j < d; j++) out[base + j] = row[j] * inv;
  }
  return out;
}

/**
 * Initial weights with zero biases, drawn from `rng` in a fixed order (W_enc row-major, then W_dec), so that the
 * same seed gives the same SAE on every backend.
 * - 'kaiming-uniform' (default): as align-interp sae.py (96006be) calls torch.nn.init.kaiming_uniform_ on
 *   W_enc created d x m and W_dec created m x d. torch takes fan_in = tensor.size(1) and gain sqrt(2), so
 *   W_enc ~ U(+-sqrt(6 / m)) and W_dec ~ U(+-sqrt(6 / d)).
 * - 'xavier-normal': as toy_models.py ToySAE (xavier_normal_ on both): N(0, 2 / (d + m)).
 * - decoderNorm 'unit' (Gao et al.): decoder rows scaled to unit norm and W_enc = W_dec^T.
 */
export function initTopKSaeWeights(
  d: number,
  m: number,
  rng: Rng,
  init: 'kaiming-uniform' | 'xavier-normal' = 'kaiming-uniform',
  decoderNorm: 'none' | 'unit' = 'none',
): SaeWeights {
  const wEnc = new Float32Array(d * m);
  const wDec = new Float32Array(m * d);
  if (init === 'xavier-normal') {
    const std = Math.sqrt(2 / (d + m));
    for (let i = 0; i < wEnc.length; i++) wEnc[i] = rng.normal() * std;
    for (let i = 0; i < wDec.length; i++) wDec[i] = rng.normal() * std;
  } else {
    const encBound = Math.sqrt(6 / m);
    for (let i = 0; i < wEnc.length; i++) wEnc[i] = (2 * rng.uniform() - 1) * encBound;
    const decBound = Math.sqrt(6 / d);
    for (let i = 0; i < wDec.length; i++) wDec[i] = (2 * rng.uniform() - 1) * decBound;
  }
  if (decoderNorm === 'unit') {
    normaliseRows(wDec, m, d);
    for (let j = 0; j < m; j++) for (let i = 0; i < d; i++) wEnc[i * m + j] = wDec[j * d + i];
  }
  return {
    wEnc: { rows: d, cols: m, data: wEnc },
    bEnc: new Float32Array(m),
    wDec: { rows: m, cols: d, data: wDec },
    bDec: new Float32Array(d),
  };
}

/** Scale every row of a rows x cols matrix to unit Euclidean norm (zero rows stay zero). */
export function normaliseRows(a: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += a[r * cols + c] ** 2;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let c = 0; c < cols; c++) a[r * cols + c] *= inv;
    }
  }
}
