/**
 * Generated ridge workloads at NSD scale (performance.md), shared by bench/ridge.ts and the GPU check
 * (bench/gpu/check.ts): the same seeds give the same data in both.
 */
import { csrMatmulDense, matmul } from '../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import type { Rng } from '../src/compute/random';

export interface CaseDef {
  name: 'A' | 'B' | 'C';
  n: number;
  p: number;
  v: number;
  k?: number;
}

/** Cases A, B, C of performance.md, sizes multiplied by `scale` (k stays 32). */
export function ridgeCases(scale = 1): CaseDef[] {
  const scaled = (x: number) => Math.max(8, Math.round(x * scale));
  return [
    { name: 'A', n: scaled(9841), p: scaled(2048), v: scaled(4000) },
    { name: 'B', n: scaled(9841), p: scaled(8192), v: scaled(4000), k: 32 },
    { name: 'C', n: scaled(9841), p: scaled(2048), v: scaled(15000) },
  ];
}

export function gaussian(rng: Rng, rows: number, cols: number, sd = 1): DenseMatrix<Float32Array> {
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * sd;
  return { rows, cols, data: d };
}

/** Dense "activations": ReLU of 64 shared factors mixed into p units plus unit noise (a decaying spectrum). */
export function denseUnits(rng: Rng, n: number, p: number): DenseMatrix<Float32Array> {
  const F = gaussian(rng, n, 64);
  const M = gaussian(rng, 64, p, 1 / 8);
  const X = matmul(F, M) as DenseMatrix<Float32Array>;
  const d = X.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.max(0, d[i] + 0.5 * rng.normal());
  return X;
}

/** CSR latents: k distinct units per row, unit popularity ~ 1/(rank+2000) (mildly skewed; few dead), values |N(0,1)| + 0.1. */
export function sparseLatents(rng: Rng, n: number, p: number, k: number): CsrMatrix {
  const cdf = new Float64Array(p);
  let s = 0;
  for (let j = 0; j < p; j++) cdf[j] = s += 1 / (j + 2000);
  for (let j = 0; j < p; j++) cdf[j] /= s;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  const row = new Set<number>();
  for (let i = 0; i < n; i++) {
    row.clear();
    while (row.size < Math.min(k, p)) {
      const u = rng.uniform();
      let lo = 0;
      let hi = p - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      row.add(lo);
    }
    const cols = [...row].sort((a, b) => a - b);
    for (let t = 0; t < cols.length; t++) {
      indices[i * k + t] = cols[t];
      values[i * k + t] = Math.abs(rng.normal()) + 0.1;
    }
    indptr[i + 1] = (i + 1) * k;
  }
  return { rows: n, cols: p, indptr, indices, values };
}

/** Y = X W + noise, W ~ N(0, 1/p), noise sd = signal sd (a moderate, realistic fit). */
export function targets(rng: Rng, X: DenseMatrix | CsrMatrix, v: number): DenseMatrix<Float32Array> {
  const W = gaussian(rng, X.cols, v, 1 / Math.sqrt(X.cols));
  const S = ('indptr' in X ? csrMatmulDense(X, W) : matmul(X, W)) as DenseMatrix<Float32Array>;
  const d = S.data;
  let ss = 0;
  for (let i = 0; i < d.length; i++) ss += d[i] * d[i];
  const sd = Math.sqrt(ss / d.length);
  for (let i = 0; i < d.length; i++) d[i] += sd * rng.normal();
  return S;
}
