/**
 * Symmetric eigendecomposition on the resolved backend's implementation (src/compute/backend.ts eighImpl):
 *   cuSOLVER cusolverDnXsyevd (float64) from n = 1024 when the GPU path is in use
 *   -> native LAPACKE_dsyevd (float64, divide and conquer; lwork queried in float64)
 *   -> TensorFlow's SelfAdjointEigV2 kernel on the tensorflow tfjs backends (float32 only: tfjs has no float64)
 *   -> TypeScript Householder + implicit QL in float64 (eig-ts.ts).
 * Only the upper triangle of A (row-major) is read on every path.
 */
import { computeBackend, computeSettings, eighImpl, lapackFor, nativeLinalg, tensorflowKernels, tf } from '../backend';
import type { DenseMatrix } from '../matrix';
import { symEigTs } from './eig-ts';

export interface SymEig {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** n x n row-major; COLUMN j is the unit eigenvector for values[j]. */
  vectors: DenseMatrix<Float64Array>;
}

export type EigImpl = 'auto' | 'native' | 'tensorflow' | 'ts';

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric A (n x n, Float64Array; only the upper
 * triangle is read; A is not modified). Repeated and zero eigenvalues are fine (the vectors of a repeated
 * eigenvalue are some orthonormal basis of its eigenspace).
 * @param impl 'auto' (default): native, else the tensorflow backends' kernel, else TypeScript. Naming an
 *   implementation that is unavailable throws. The tensorflow path is float32 (eigenvalue error ~1e-7 of the
 *   largest); opt out of it with ALIGN_EIG=ts.
 */
export function symEig(A: DenseMatrix<Float64Array>, impl: EigImpl = 'auto'): SymEig {
  const n = A.rows;
  if (A.cols !== n) throw new RangeError(`symEig: matrix is ${A.rows}x${A.cols}, not square`);
  const a = A.data instanceof Float64Array ? A.data : Float64Array.from(A.data as ArrayLike<number>);
  const chosen = impl === 'auto' ? eighImpl(n) : impl;
  if (chosen === 'cuda' || chosen === 'native') {
    // cuSOLVER or LAPACKE: one call shape for both.
    const lapack = chosen === 'cuda' ? lapackFor(n) : nativeLinalg();
    if (!lapack) throw new Error('symEig: native addon not available');
    const w = new Float64Array(n);
    const z = new Float64Array(n * n);
    const info = n === 0 ? 0 : lapack.dsyevd(a, n, w, z);
    const what = chosen === 'cuda' ? 'cusolverDnXsyevd' : 'LAPACKE_dsyevd';
    if (info !== 0) throw new Error(`symEig: ${what} failed, info = ${info}`);
    return { values: w, vectors: { rows: n, cols: n, data: z } };
  }
  if (chosen === 'tensorflow') {
    if (!tensorflowEigUsable()) throw new Error('symEig: the tensorflow backend is not active');
    return tensorflowEig(a, n);
  }
  const { values, vectors } = symEigTs(n, a);
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}

/**
 * symEig off the main thread: with the addon, dsyevd runs on the libuv thread pool (the event loop stays
 * free; do not modify A until the promise settles); otherwise the synchronous implementations.
 */
export async function symEigAsync(A: DenseMatrix<Float64Array>, impl: EigImpl = 'auto'): Promise<SymEig> {
  const nat = nativeLinalg();
  const n = A.rows;
  if (!nat || n === 0 || A.cols !== n || (impl !== 'auto' && impl !== 'native')) return symEig(A, impl);
  const a = A.data instanceof Float64Array ? A.data : Float64Array.from(A.data as ArrayLike<number>);
  const w = new Float64Array(n);
  const z = new Float64Array(n * n);
  const info = await nat.dsyevdAsync(a, n, w, z);
  if (info !== 0) throw new Error(`symEig: LAPACKE_dsyevd failed, info = ${info}`);
  return { values: w, vectors: { rows: n, cols: n, data: z } };
}

/** Minimal view of tfjs-node's backend: it runs any TensorFlow op by name. */
interface TfNodeBackend {
  binding: { TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

/** Whether TensorFlow's kernel may run: a tensorflow rung is active and ALIGN_EIG is not 'ts'. */
function tensorflowEigUsable(): boolean {
  return computeSettings().eig !== 'ts' && tensorflowKernels(computeBackend().tensor);
}

/** SelfAdjointEigV2 (float32; untested here since tfjs-node is absent). Mirrors the upper triangle first. */
function tensorflowEig(a: Float64Array, n: number): SymEig {
  const be = tf.backend() as unknown as TfNodeBackend;
  const sym = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      sym[i * n + j] = a[i * n + j];
      sym[j * n + i] = a[i * n + j];
    }
  }
  const input = tf.tensor2d(sym, [n, n]);
  const attrs = [
    { name: 'compute_v', type: be.binding.TF_ATTR_BOOL, value: true },
    { name: 'T', type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT },
  ];
  const [e, v] = be.executeMultipleOutputs('SelfAdjointEigV2', attrs, [input], 2);
  const values = Float64Array.from(e.dataSync());
  const vectors = Float64Array.from(v.dataSync()); // TF: v[:, i] is the eigenvector of e[i], ascending
  input.dispose();
  e.dispose();
  v.dispose();
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}
