/**
 * Dense products: matmul (C = op(A) op(B)) and gram (X'X or XX').
 * The implementation is the resolved backend's (src/compute/backend.ts): cuBLAS for large products when the GPU
 * path is in use, OpenBLAS sgemm/dgemm/dsyrk, else the active tfjs backend for float32 work (chunked to bound
 * memory), else cache-blocked TypeScript loops.
 */
import { blasFor, computeBackend, nativeLinalg, tensorBackend, tf } from '../backend';
import type { DenseMatrix, FloatArray } from '../matrix';
import { gemmAcc, symmetriseFromUpper, transposeInto } from './kernels';

export interface MatmulOptions {
  /** Use A' instead of A. */
  transA?: boolean;
  /** Use B' instead of B. */
  transB?: boolean;
  /** 'f32' (default): Float32Array result, float32 products. 'f64': Float64Array result, float64 products. */
  precision?: 'f32' | 'f64';
}

/** Largest block (elements) uploaded to the tensor backend at once: 2^25 floats = 128 MiB. */
let TF_BLOCK = 1 << 25;

/** Change the tfjs block size (elements; tests use a tiny one to exercise the tiling). Returns the previous one. */
export function setTfBlockElements(n: number): number {
  const prev = TF_BLOCK;
  TF_BLOCK = Math.max(1, Math.floor(n));
  return prev;
}

function toF32(x: FloatArray): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x);
}
function toF64(x: FloatArray): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

/** True when initBackend() has completed (the tfjs path needs it; otherwise the TS loops are used). */
export function tfAvailable(): boolean {
  return tensorBackend() !== null;
}

/** Shapes of op(A) (m x k) and op(B) (k x n); throws on mismatch. */
function opShapes(A: DenseMatrix, B: DenseMatrix, transA: boolean, transB: boolean): [number, number, number] {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kb = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  if (k !== kb) {
    throw new RangeError(`matmul: op(A) is ${m}x${k} but op(B) is ${kb}x${n}`);
  }
  return [m, n, k];
}

/**
 * C = op(A) op(B) (m x n, row-major).
 * - precision 'f32' (default) -> Float32Array: cuBLAS sgemm from 2^30 multiply-adds when the GPU path is usable,
 *   native sgemm, else tfjs matMul on the active backend in blocks of
 *   at most 2^25 elements, else the TypeScript loop in float32.
 * - precision 'f64' -> Float64Array: native dgemm, else the TypeScript loop in float64.
 * Inputs of the other element type are converted (copied); inputs are never modified.
 */
export function matmul(A: DenseMatrix, B: DenseMatrix, opts: MatmulOptions = {}): DenseMatrix {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const [m, n, k] = opShapes(A, B, transA, transB);
  const f64 = opts.precision === 'f64';
  if (m === 0 || n === 0 || k === 0) {
    return { rows: m, cols: n, data: f64 ? new Float64Array(m * n) : new Float32Array(m * n) };
  }
  // cuBLAS or OpenBLAS: one call shape for both.
  const blas = blasFor(m * n * k);
  if (blas) {
    if (f64) {
      const c = new Float64Array(m * n);
      blas.dgemm(transA, transB, m, n, k, toF64(A.data), A.cols, toF64(B.data), B.cols, c);
      return { rows: m, cols: n, data: c };
    }
    const c = new Float32Array(m * n);
    blas.sgemm(transA, transB, m, n, k, toF32(A.data), A.cols, toF32(B.data), B.cols, c);
    return { rows: m, cols: n, data: c };
  }
  if (!f64 && computeBackend().cpuGemm === 'tfjs') {
    return { rows: m, cols: n, data: tfMatmul(A, B, transA, transB, m, n, k) };
  }
  return { rows: m, cols: n, data: tsMatmul(A, B, transA, transB, m, n, k, f64) };
}

/**
 * C (m x n, float32, overwritten) = op(A) op(B) with op(A) m x k and op(B) k x n; lda/ldb are the stored row
 * lengths. For inner loops that call small products thousands of times (SAE and toy training steps): no
 * allocation on the native path (sgemm straight into c); otherwise matmul()'s tfjs/TypeScript paths, copied.
 */
export function gemmInto(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  c: Float32Array,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    c.fill(0, 0, m * n);
    return;
  }
  const nat = nativeLinalg();
  if (nat) {
    nat.sgemm(transA, transB, m, n, k, a, lda, b, ldb, c);
    return;
  }
  const A: DenseMatrix = { rows: transA ? k : m, cols: lda, data: a.subarray(0, (transA ? k : m) * lda) };
  const B: DenseMatrix = { rows: transB ? n : k, cols: ldb, data: b.subarray(0, (transB ? n : k) * ldb) };
  c.set(matmul(A, B, { transA, transB }).data as Float32Array, 0);
}

/**
 * matmul off the main thread: with the addon the product runs on the libuv thread pool (the event loop stays
 * free; do not modify A or B until the promise settles); without it, the synchronous paths.
 */
export async function matmulAsync(A: DenseMatrix, B: DenseMatrix, opts: MatmulOptions = {}): Promise<DenseMatrix> {
  const nat = nativeLinalg();
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const [m, n, k] = opShapes(A, B, transA, transB);
  if (!nat || m === 0 || n === 0 || k === 0) return matmul(A, B, opts);
  if (opts.precision === 'f64') {
    const c = new Float64Array(m * n);
    await nat.dgemmAsync(transA, transB, m, n, k, toF64(A.data), A.cols, toF64(B.data), B.cols, c);
    return { rows: m, cols: n, data: c };
  }
  const c = new Float32Array(m * n);
  await nat.sgemmAsync(transA, transB, m, n, k, toF32(A.data), A.cols, toF32(B.data), B.cols, c);
  return { rows: m, cols: n, data: c };
}

/** TypeScript path: materialise op(A) (m x k) and op(B) (k x n) row-major, then the blocked loop. */
function tsMatmul(
  A: DenseMatrix,
  B: DenseMatrix,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  f64: boolean,
): FloatArray {
  const conv = f64 ? toF64 : toF32;
  const Ctor = f64 ? Float64Array : Float32Array;
  let a: FloatArray = conv(A.data);
  if (transA) {
    const t = new Ctor(m * k);
    transposeInto(A.rows, A.cols, a, t);
    a = t;
  }
  let b: FloatArray = conv(B.data);
  if (transB) {
    const t = new Ctor(k * n);
    transposeInto(B.rows, B.cols, b, t);
    b = t;
  }
  const c = new Ctor(m * n);
  gemmAcc(m, n, k, a, b, c);
  return c;
}

/**
 * Block [r0, r1) x [c0, c1) of a row-major matrix with row length ld, as a contiguous float32 row-major
 * array; transposed ((c1 - c0) x (r1 - r0)) when `transpose`. A view when it is a float32 run of whole rows.
 */
function block(
  x: FloatArray,
  ld: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
  transpose: boolean,
): Float32Array {
  const h = r1 - r0;
  const w = c1 - c0;
  if (!transpose && c0 === 0 && c1 === ld) {
    const v = x.subarray(r0 * ld, r1 * ld);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }
  const out = new Float32Array(h * w);
  if (!transpose) {
    for (let r = 0; r < h; r++) {
      const s = (r0 + r) * ld + c0;
      for (let j = 0; j < w; j++) out[r * w + j] = x[s + j];
    }
  } else {
    const B = 32;
    for (let rb = 0; rb < h; rb += B) {
      const re = Math.min(h, rb + B);
      for (let cb = 0; cb < w; cb += B) {
        const ce = Math.min(w, cb + B);
        for (let r = rb; r < re; r++) {
          const s = (r0 + r) * ld + c0;
          for (let j = cb; j < ce; j++) out[j * h + r] = x[s + j];
        }
      }
    }
  }
  return out;
}

/**
 * tfjs path for float32 products, tiled over rows of op(A) and columns of op(B). Blocks are materialised
 * untransposed in JS: the wasm backend's matMul is ~40x slower with its transpose flags.
 */
function tfMatmul(
  A: DenseMatrix,
  B: DenseMatrix,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
): Float32Array {
  const c = new Float32Array(m * n);
  const nb = k * n <= TF_BLOCK ? n : Math.max(1, Math.floor(TF_BLOCK / k));
  const mb = Math.max(1, Math.floor(TF_BLOCK / Math.max(k, nb)));
  for (let j0 = 0; j0 < n; j0 += nb) {
    const j1 = Math.min(n, j0 + nb);
    const w = j1 - j0;
    // op(B)[:, j0:j1] (k x w): rows j0..j1 of B transposed when transB, else columns j0..j1 of B.
    const bData = transB ? block(B.data, B.cols, j0, j1, 0, k, true) : block(B.data, B.cols, 0, k, j0, j1, false);
    const bT = tf.tensor2d(bData, [k, w]);
    for (let i0 = 0; i0 < m; i0 += mb) {
      const i1 = Math.min(m, i0 + mb);
      // op(A)[i0:i1, :] (h x k): columns i0..i1 of A transposed when transA, else rows i0..i1 of A.
      const aData = transA ? block(A.data, A.cols, 0, k, i0, i1, true) : block(A.data, A.cols, i0, i1, 0, k, false);
      const aT = tf.tensor2d(aData, [i1 - i0, k]);
      const cT = tf.matMul(aT, bT);
      const out = cT.dataSync() as Float32Array;
      aT.dispose();
      cT.dispose();
      if (w === n) c.set(out, i0 * n);
      else for (let i = i0; i < i1; i++) c.set(out.subarray((i - i0) * w, (i - i0 + 1) * w), i * n + j0);
    }
    bT.dispose();
  }
  return c;
}

export interface GramOptions {
  /** 'cols' (default): X'X (cols x cols). 'rows': XX' (rows x rows). */
  side?: 'cols' | 'rows';
  /**
   * 'f64': products and sums in float64 (native dsyrk over float64 copies of X taken block by block, or
   * the TypeScript loop). 'f32': float32 products per block of the summed dimension (256 native ssyrk, 512 tfjs
   * matMul), summed across blocks in float64. Default: 'f64' with the native addon, 'f32' without it when a
   * tensor backend is initialised (the float64 TypeScript loop runs at ~1 GFLOP/s).
   */
  precision?: 'f32' | 'f64';
}

/**
 * Gram matrix of X: X'X (side 'cols', cols x cols) or XX' (side 'rows', rows x rows), symmetric, Float64Array.
 * Accuracy: see GramOptions.precision. X is not modified.
 */
export function gram(X: DenseMatrix, opts: GramOptions = {}): DenseMatrix<Float64Array> {
  const side = opts.side ?? 'cols';
  const n = side === 'cols' ? X.cols : X.rows;
  const c = new Float64Array(n * n);
  const syrk = computeBackend().syrk;
  const precision = opts.precision ?? (syrk === 'tfjs' ? 'f32' : 'f64');
  if (X.rows === 0 || X.cols === 0) return { rows: n, cols: n, data: c };
  const nat = syrk === 'native' ? nativeLinalg() : null;
  if (nat) {
    nat.gram(X.data, X.rows, X.cols, side === 'cols' ? 0 : 1, precision === 'f32', c);
    return { rows: n, cols: n, data: c };
  }
  if (precision === 'f32' && syrk === 'tfjs') tfGram(X, side, c);
  else tsGram(X, side, c);
  return { rows: n, cols: n, data: c };
}

/** gram off the main thread (libuv thread pool) with the addon; the synchronous paths without it. */
export async function gramAsync(X: DenseMatrix, opts: GramOptions = {}): Promise<DenseMatrix<Float64Array>> {
  const nat = nativeLinalg();
  if (!nat || X.rows === 0 || X.cols === 0) return gram(X, opts);
  const side = opts.side ?? 'cols';
  const n = side === 'cols' ? X.cols : X.rows;
  const c = new Float64Array(n * n);
  await nat.gramAsync(X.data, X.rows, X.cols, side === 'cols' ? 0 : 1, opts.precision === 'f32', c);
  return { rows: n, cols: n, data: c };
}

/** Float32 products on the tensor backend, per 512-wide block of the summed dimension, summed in float64. */
function tfGram(X: DenseMatrix, side: 'cols' | 'rows', c: Float64Array): void {
  const BLK = 512;
  const n = side === 'cols' ? X.cols : X.rows;
  const sumLen = side === 'cols' ? X.rows : X.cols;
  for (let s0 = 0; s0 < sumLen; s0 += BLK) {
    const s1 = Math.min(sumLen, s0 + BLK);
    const b = s1 - s0;
    // Z (b x n) = rows s0..s1 of X (side cols) or columns s0..s1 transposed (side rows); product Z'Z.
    const z = side === 'cols' ? block(X.data, X.cols, s0, s1, 0, n, false) : block(X.data, X.cols, 0, n, s0, s1, true);
    const zt = block(z, n, 0, b, 0, n, true);
    const zT = tf.tensor2d(z, [b, n]);
    const ztT = tf.tensor2d(zt, [n, b]);
    const g = tf.matMul(ztT, zT);
    const d = g.dataSync();
    zT.dispose();
    ztT.dispose();
    g.dispose();
    for (let i = 0; i < c.length; i++) c[i] += d[i];
  }
  // The f32 kernel need not be exactly symmetric; average the two triangles.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (c[i * n + j] + c[j * n + i]);
      c[i * n + j] = v;
      c[j * n + i] = v;
    }
  }
}

/** Float64 TypeScript loop: upper triangle via row-of-X outer products / row dot products, then mirrored. */
function tsGram(X: DenseMatrix, side: 'cols' | 'rows', c: Float64Array): void {
  const x = X.data;
  const { rows, cols } = X;
  if (side === 'cols') {
    // X'X = sum_r x_r' x_r; upper triangle only, four rows at a time.
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const o0 = r * cols,
        o1 = o0 + cols,
        o2 = o1 + cols,
        o3 = o2 + cols;
      for (let i = 0; i < cols; i++) {
        const a0 = x[o0 + i],
          a1 = x[o1 + i],
          a2 = x[o2 + i],
          a3 = x[o3 + i];
        if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
        const ci = i * cols;
        for (let j = i; j < cols; j++) c[ci + j] += a0 * x[o0 + j] + a1 * x[o1 + j] + a2 * x[o2 + j] + a3 * x[o3 + j];
      }
    }
    for (; r < rows; r++) {
      const o = r * cols;
      for (let i = 0; i < cols; i++) {
        const a = x[o + i];
        if (a === 0) continue;
        const ci = i * cols;
        for (let j = i; j < cols; j++) c[ci + j] += a * x[o + j];
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const oi = i * cols;
      for (let j = i; j < rows; j++) {
        const oj = j * cols;
        let s = 0;
        for (let t = 0; t < cols; t++) s += x[oi + t] * x[oj + t];
        c[i * rows + j] = s;
      }
    }
  }
  symmetriseFromUpper(side === 'cols' ? cols : rows, c);
}
