/**
 * Encoding into sparse latents.
 */
import { initBackend } from '../compute/backend';
import type { CsrMatrix, DenseMatrix } from '../compute/matrix';
import { SaeValidationError, throwIfAborted } from './errors';
import { disposeEncoderTensors, preActivations, toEncoderTensors, TopKRelu, yieldToEventLoop } from './forward';
import { preprocessRows, validateSae, type TopKSae } from './model';

export interface EncodeOptions {
  /** Rows per tfjs matmul (default 1024). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk with rows done and total rows. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/** Throw SaeValidationError('X', ...) unless X is n x d with finite values. */
export function checkInput(X: DenseMatrix, d: number, field = 'X'): void {
  if (X.cols !== d) throw new SaeValidationError(field, `expected ${d} columns (the SAE input width), got ${X.cols}`);
  if (X.data.length !== X.rows * X.cols)
    throw new SaeValidationError(field, `data length ${X.data.length} != ${X.rows} x ${X.cols}`);
  for (let i = 0; i < X.data.length; i++) {
    if (!Number.isFinite(X.data[i]))
      throw new SaeValidationError(field, `non-finite value at row ${Math.floor(i / X.cols)}, column ${i % X.cols}`);
  }
}

/**
 * Latents z = ReLU(TopK_k(preprocess(X) W_enc + b_enc)) of every row of X (n x d, float32 or float64), as
 * CSR n x m (float32 values, int32 indices).
 *
 * Each row stores only its positive latents: exactly the TopK selection minus those the ReLU zeroed, so a
 * row has at most k entries (fewer where fewer than k pre-activations are positive), column indices ascending,
 * no explicit zeros. Ties at the k-th largest pre-activation go to the lowest latent index (the same rule as
 * the numpy reference, argsort(-pre, kind="stable")[:k]); selection runs on CPU, independent of tf.topk.
 */
export async function encodeSparse(sae: TopKSae, X: DenseMatrix, options: EncodeOptions = {}): Promise<CsrMatrix> {
  validateSae(sae);
  checkInput(X, sae.inputDim);
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new SaeValidationError('batchSize', 'must be a positive integer');
  await initBackend();
  const { rows: n, cols: d } = X;
  const { latentDim: m, k } = sae;
  const indptr = new Int32Array(n + 1);
  let indices = new Int32Array(n * k);
  let values = new Float32Array(n * k);
  const select = new TopKRelu(Math.min(batchSize, Math.max(n, 1)), m, k);
  const tensors = toEncoderTensors(sae.weights);
  let nnz = 0;
  try {
    for (let start = 0; start < n; start += batchSize) {
      throwIfAborted(options.signal);
      const rows = Math.min(batchSize, n - start);
      const chunk = { rows, cols: d, data: X.data.subarray(start * d, (start + rows) * d) };
      const pre = preActivations(tensors, preprocessRows(chunk, sae.preprocessing), rows);
      select.run(pre, rows);
      for (let r = 0; r < rows; r++) {
        const c = select.count[r];
        indices.set(select.idx.subarray(r * k, r * k + c), nnz);
        values.set(select.val.subarray(r * k, r * k + c), nnz);
        nnz += c;
        indptr[start + r + 1] = nnz;
      }
      options.onProgress?.(start + rows, n);
      if (start + rows < n) await yieldToEventLoop();
    }
  } finally {
    disposeEncoderTensors(tensors);
  }
  if (nnz < indices.length) {
    indices = indices.slice(0, nnz);
    values = values.slice(0, nnz);
  }
  return { rows: n, cols: m, indptr, indices, values };
}
