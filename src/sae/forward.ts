/**
 * Shared forward pieces (internal): weights as tfjs tensors, chunked pre-activations, CPU TopK + ReLU.
 * Pre-activations are computed by cuBLAS when the GPU path takes the product (linalg/cuda.ts useCuda), else by
 * the active tfjs backend (float32 matmul); the TopK selection runs on the CPU copy so that ties are resolved
 * by the library's rule (lowest index wins) on every backend.
 */
import { tf } from '../compute/backend';
import { useCuda } from '../compute/linalg/cuda';
import type { SaeWeights } from './model';
import { topKIndices } from './topk';

/** The encoder as tfjs tensors: wEnc d x m, bEnc m (and the host arrays, for the GPU path). */
export interface EncoderTensors {
  wEnc: tf.Tensor2D;
  bEnc: tf.Tensor1D;
  host: Pick<SaeWeights, 'wEnc' | 'bEnc'>;
}

export function toEncoderTensors(w: Pick<SaeWeights, 'wEnc' | 'bEnc'>): EncoderTensors {
  return { wEnc: tf.tensor2d(w.wEnc.data, [w.wEnc.rows, w.wEnc.cols], 'float32'), bEnc: tf.tensor1d(w.bEnc, 'float32'), host: w };
}

export function disposeEncoderTensors(t: EncoderTensors): void {
  t.wEnc.dispose();
  t.bEnc.dispose();
}

/** x W_enc + b_enc for `rows` preprocessed rows (row-major rows x d) -> Float32Array rows x m. */
export function preActivations(t: EncoderTensors, xp: Float32Array, rows: number): Float32Array {
  const d = t.wEnc.shape[0];
  const m = t.wEnc.shape[1];
  const gpu = useCuda({ kind: 'gemm', flops: rows * d * m });
  if (gpu) {
    const pre = new Float32Array(rows * m);
    gpu.sgemm(false, false, rows, m, d, xp, d, t.host.wEnc.data, m, pre);
    const b = t.host.bEnc;
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) pre[r * m + j] += b[j];
    return pre;
  }
  const pre = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(xp, [rows, d], 'float32'), t.wEnc), t.bEnc));
  try {
    return pre.dataSync() as Float32Array;
  } finally {
    pre.dispose();
  }
}

/**
 * x W_enc + b_enc from the transposed encoder wEncT (m x d, CPU array) for `rows` preprocessed rows:
 * computed as W_enc^T x^T on the backend (the small x^T is the packed operand, the large, ever-changing
 * weights are streamed), returned row-major rows x m. Used during training, where the weights change each step.
 */
export function preActivationsFromTransposed(wEncT: Float32Array, bEnc: Float32Array, xp: Float32Array, rows: number, d: number): Float32Array {
  const m = bEnc.length;
  const xT = new Float32Array(d * rows);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) xT[i * rows + r] = xp[r * d + i];
  const res = tf.tidy(() => tf.matMul(tf.tensor2d(wEncT, [m, d], 'float32'), tf.tensor2d(xT, [d, rows], 'float32')));
  let preT: Float32Array;
  try {
    preT = res.dataSync() as Float32Array;
  } finally {
    res.dispose();
  }
  const pre = new Float32Array(rows * m);
  for (let j = 0; j < m; j++) {
    const b = bEnc[j];
    for (let r = 0; r < rows; r++) pre[r * m + j] = preT[j * rows + r] + b;
  }
  return pre;
}

/** Transpose a row-major rows x cols array (blocked for cache locality). */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array = new Float32Array(rows * cols)): Float32Array {
  const T = 64;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = a[i * cols + j];
    }
  }
  return out;
}

/**
 * Per row of `pre` (rows x m): the TopK latents (ties -> lowest index) that are also positive after the ReLU.
 * Writes row r's entries to idx/val[r*k .. r*k + count[r]) in ascending latent order.
 */
export class TopKRelu {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  readonly count: Int32Array;
  private readonly scratch: Float32Array;
  private readonly sel: Int32Array;

  constructor(
    readonly maxRows: number,
    readonly m: number,
    readonly k: number,
  ) {
    this.idx = new Int32Array(maxRows * k);
    this.val = new Float32Array(maxRows * k);
    this.count = new Int32Array(maxRows);
    this.scratch = new Float32Array(m);
    this.sel = new Int32Array(k);
  }

  /** Select for `rows` rows of pre (rows x m). */
  run(pre: Float32Array, rows: number): void {
    const { m, k, sel, scratch } = this;
    for (let r = 0; r < rows; r++) {
      const row = pre.subarray(r * m, (r + 1) * m);
      const c = topKIndices(row, m, k, sel, scratch);
      let p = r * k;
      for (let i = 0; i < c; i++) {
        const v = row[sel[i]];
        if (v > 0) {
          this.idx[p] = sel[i];
          this.val[p] = v;
          p++;
        }
      }
      this.count[r] = p - r * k;
    }
  }

  /** Dense z (rows x m) of the last run. */
  dense(rows: number, out = new Float32Array(rows * this.m)): Float32Array {
    out.fill(0, 0, rows * this.m);
    for (let r = 0; r < rows; r++) {
      for (let p = r * this.k; p < r * this.k + this.count[r]; p++) out[r * this.m + this.idx[p]] = this.val[p];
    }
    return out;
  }
}

/** Resolve on the next macrotask so that timers, I/O and abort handlers can run between chunks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
