/** Leave-one-out by refitting ridge without each sample: the reference the exact LOO formulas are tested against. */
import type { DenseMatrix } from '../../src/compute/matrix';

/** Solve (A) x = b for symmetric positive definite A (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Squared LOO errors e[t] (per target) for one alpha by refitting without each sample. */
export function bruteLoo(X: DenseMatrix, Y: DenseMatrix, a: number, intercept: boolean): number[] {
  const { rows: n, cols: p } = X;
  const v = Y.cols;
  const err = new Array(v).fill(0);
  for (let i = 0; i < n; i++) {
    const idx = [...Array(n).keys()].filter((r) => r !== i);
    const mx = new Array(p).fill(0);
    const my = new Array(v).fill(0);
    if (intercept) {
      for (const r of idx) {
        for (let j = 0; j < p; j++) mx[j] += X.data[r * p + j] / idx.length;
        for (let t = 0; t < v; t++) my[t] += Y.data[r * v + t] / idx.length;
      }
    }
    const A = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, k) => (j === k ? a : 0)));
    for (const r of idx) {
      for (let j = 0; j < p; j++) {
        for (let k = 0; k < p; k++) A[j][k] += (X.data[r * p + j] - mx[j]) * (X.data[r * p + k] - mx[k]);
      }
    }
    for (let t = 0; t < v; t++) {
      const b = new Array(p).fill(0);
      for (const r of idx)
        for (let j = 0; j < p; j++) b[j] += (X.data[r * p + j] - mx[j]) * (Y.data[r * v + t] - my[t]);
      const w = solve(A, b);
      let pred = my[t];
      for (let j = 0; j < p; j++) pred += (X.data[i * p + j] - mx[j]) * w[j];
      err[t] += (Y.data[i * v + t] - pred) ** 2 / n;
    }
  }
  return err;
}
