/**
 * Quality of an SAE on a data set: fraction of variance unexplained, mean L0, share of dead latents.
 */
import { initBackend } from '../compute/backend';
import type { DenseMatrix } from '../compute/matrix';
import { SaeValidationError, throwIfAborted } from './errors';
import { checkInput } from './encode';
import { disposeEncoderTensors, preActivations, toEncoderTensors, TopKRelu, yieldToEventLoop } from './forward';
import { preprocessRows, validateSae, type SaeWeights, type TopKSae } from './model';

export interface SaeMetrics {
  /**
   * Fraction of variance unexplained on the preprocessed input: sum of squared residuals (x' - x^) over all
   * entries divided by the sum of squared deviations of x' from its column means. NaN when the denominator is 0.
   */
  fvu: number;
  /** Mean number of non-zero latents per sample (<= k; the ReLU may zero some of the TopK). */
  meanL0: number;
  /** Share of latents never non-zero on these samples. */
  deadShare: number;
  /** Number of samples evaluated. */
  rows: number;
}

export interface EvaluateOptions {
  /** Rows per chunk (default 1024). */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * Metrics on already preprocessed rows xp (n x d, float32). Pre-activations by tfjs, TopK and the sparse
 * reconstruction z W_dec + b_dec on the CPU (O(n k d)). Needs an initialised backend.
 */
export async function evaluatePreprocessed(
  w: SaeWeights,
  k: number,
  xp: Float32Array,
  n: number,
  options: EvaluateOptions = {},
): Promise<SaeMetrics> {
  const d = w.wEnc.rows;
  const m = w.wEnc.cols;
  const batchSize = options.batchSize ?? 1024;
  if (n === 0) return { fvu: NaN, meanL0: NaN, deadShare: NaN, rows: 0 };
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += xp[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const c = xp[r * d + j] - mean[j];
      total += c * c;
    }
  }
  const select = new TopKRelu(Math.min(batchSize, n), m, k);
  const alive = new Uint8Array(m);
  const xh = new Float64Array(d);
  const wDec = w.wDec.data;
  let residual = 0;
  let l0 = 0;
  const enc = toEncoderTensors(w);
  try {
    for (let start = 0; start < n; start += batchSize) {
      throwIfAborted(options.signal);
      const rows = Math.min(batchSize, n - start);
      const x = xp.subarray(start * d, (start + rows) * d);
      select.run(preActivations(enc, x, rows), rows);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < d; i++) xh[i] = w.bDec[i];
        l0 += select.count[r];
        for (let q = r * k; q < r * k + select.count[r]; q++) {
          const j = select.idx[q];
          const v = select.val[q];
          alive[j] = 1;
          for (let i = 0; i < d; i++) xh[i] += v * wDec[j * d + i];
        }
        for (let i = 0; i < d; i++) {
          const e = xh[i] - x[r * d + i];
          residual += e * e;
        }
      }
      if (start + rows < n) await yieldToEventLoop();
    }
  } finally {
    disposeEncoderTensors(enc);
  }
  let aliveCount = 0;
  for (let j = 0; j < m; j++) aliveCount += alive[j];
  return { fvu: total > 0 ? residual / total : NaN, meanL0: l0 / n, deadShare: 1 - aliveCount / m, rows: n };
}

/** FVU, mean L0 and dead share of `sae` on X (n x d raw activations; preprocessing is applied here). */
export async function evaluateSae(sae: TopKSae, X: DenseMatrix, options: EvaluateOptions = {}): Promise<SaeMetrics> {
  validateSae(sae);
  checkInput(X, sae.inputDim);
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new SaeValidationError('batchSize', 'must be a positive integer');
  await initBackend();
  return evaluatePreprocessed(sae.weights, sae.k, preprocessRows(X, sae.preprocessing), X.rows, {
    ...options,
    batchSize,
  });
}
