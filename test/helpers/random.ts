/** Random test matrices. */
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import type { Rng } from '../../src/compute/random';

/** CSR n x p with k distinct uniformly drawn columns per row (ascending), values |N(0,1)| + 0.1. */
export function randomCsr(rng: Rng, n: number, p: number, k: number): CsrMatrix {
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cols = new Set<number>();
    while (cols.size < k) cols.add(rng.int(p));
    [...cols]
      .sort((a, b) => a - b)
      .forEach((c, j) => {
        indices[i * k + j] = c;
        values[i * k + j] = Math.abs(rng.normal()) + 0.1;
      });
    indptr[i + 1] = (i + 1) * k;
  }
  return { rows: n, cols: p, indptr, indices, values };
}

/** rows x cols of independent N(0,1), float64. */
export function randn(rng: Rng, rows: number, cols: number): DenseMatrix<Float64Array> {
  const d = new Float64Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return { rows, cols, data: d };
}

/** A copy with every column's mean removed. */
export function centred(M: DenseMatrix<Float64Array>): DenseMatrix<Float64Array> {
  const out = Float64Array.from(M.data);
  for (let j = 0; j < M.cols; j++) {
    let m = 0;
    for (let i = 0; i < M.rows; i++) m += out[i * M.cols + j];
    m /= M.rows;
    for (let i = 0; i < M.rows; i++) out[i * M.cols + j] -= m;
  }
  return { rows: M.rows, cols: M.cols, data: out };
}
