/**
 * Shared forward pieces (internal): weights as tfjs tensors, chunked pre-activations, CPU TopK + ReLU.
 * Pre-activations are float32 products (native sgemm, else the active tfjs backend); the TopK selection runs on the
 * CPU copy so that ties are resolved by the library's rule (lowest index wins) on every backend.
 */
import { blasFor, tf } from '../compute/backend';
import { gemmInto } from '../compute/linalg/matmul';
import { nativeAddon, nativeAvailable } from '../compute/linalg/native';
import type { SaeWeights } from './model';
import { topKIndices } from './topk';

/** The encoder as tfjs tensors (wEnc d x m, bEnc m) and its CPU arrays (for the native sgemm path). */
export interface EncoderTensors {
  wEnc: tf.Tensor2D;
  bEnc: tf.Tensor1D;
  cpu: { wEnc: Float32Array; bEnc: Float32Array; d: number; m: number };
}

export function toEncoderTensors(w: Pick<SaeWeights, 'wEnc' | 'bEnc'>): EncoderTensors {
  return {
    wEnc: tf.tensor2d(w.wEnc.data, [w.wEnc.rows, w.wEnc.cols], 'float32'),
    bEnc: tf.tensor1d(w.bEnc, 'float32'),
    cpu: { wEnc: w.wEnc.data, bEnc: w.bEnc, d: w.wEnc.rows, m: w.wEnc.cols },
  };
}

export function disposeEncoderTensors(t: EncoderTensors): void {
  t.wEnc.dispose();
  t.bEnc.dispose();
}

/**
 * x W_enc + b_enc for `rows` preprocessed rows (row-major rows x d) -> Float32Array rows x m: native sgemm when
 * the addon is loaded, else the active tfjs backend.
 */
export function preActivations(t: EncoderTensors, xp: Float32Array, rows: number): Float32Array {
  const { d, m } = t.cpu;
  const blas = blasFor(rows * d * m);
  if (blas || nativeAvailable()) {
    const out = new Float32Array(rows * m);
    if (blas) blas.sgemm(false, false, rows, m, d, xp, d, t.cpu.wEnc, m, out);
    else gemmInto(false, false, rows, m, d, xp, d, t.cpu.wEnc, m, out);
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) out[r * m + j] += t.cpu.bEnc[j];
    return out;
  }
  const pre = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(xp, [rows, d], 'float32'), t.wEnc), t.bEnc));
  try {
    return pre.dataSync() as Float32Array;
  } finally {
    pre.dispose();
  }
}

/** Transpose a row-major rows x cols array (blocked for cache locality). */
export function transpose(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array = new Float32Array(rows * cols),
): Float32Array {
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

  /** Select for `rows` rows of pre (rows x m). `native` false keeps it in TypeScript (tests compare both). */
  run(pre: Float32Array, rows: number, native = true): void {
    const { m, k, sel, scratch } = this;
    // Small k (the toy's 7 of 64) in one native call with the same selection rule (native/src/sae.c).
    const nat = native && k <= 16 ? nativeAddon() : null;
    if (nat) {
      nat.topkRelu(pre, rows, m, k, this.idx, this.val, this.count);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const o = r * m;
      const c = topKIndices(pre, m, k, sel, scratch, o);
      let p = r * k;
      for (let i = 0; i < c; i++) {
        const v = pre[o + sel[i]];
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
