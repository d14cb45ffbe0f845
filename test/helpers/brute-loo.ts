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

/** Solve A X = B for square A (m x m) and B (m x c) by Gaussian elimination with partial pivoting. */
function solveMany(A: number[][], B: number[][]): number[][] {
  const m = A.length;
  const c = B[0]?.length ?? 0;
  const M = A.map((r, i) => [...r, ...B[i]]);
  for (let k = 0; k < m; k++) {
    let piv = k;
    for (let r = k + 1; r < m; r++) if (Math.abs(M[r][k]) > Math.abs(M[piv][k])) piv = r;
    [M[k], M[piv]] = [M[piv], M[k]];
    for (let r = k + 1; r < m; r++) {
      const f = M[r][k] / M[k][k];
      if (f !== 0) for (let j = k; j < m + c; j++) M[r][j] -= f * M[k][j];
    }
  }
  const out = Array.from({ length: m }, () => new Array(c).fill(0));
  for (let r = m - 1; r >= 0; r--) {
    for (let t = 0; t < c; t++) {
      let s = M[r][m + t];
      for (let k = r + 1; k < m; k++) s -= M[r][k] * out[k][t];
      out[r][t] = s / M[r][r];
    }
  }
  return out;
}

const meanRow = (rows: number[][]) => rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);

/**
 * Ridge without intercept on rows centred by their OWN means (the 'paper-centred' fit): returns the prediction of a
 * new row, ybar + (x - xbar)' W. Solved in the primal (p < n) or the dual, W = Xc' (Xc Xc' + aI)^-1 Yc, whichever
 * is well conditioned at tiny alphas (the dual's near-null direction 1 is orthogonal to every Xc x, so its rounding
 * never reaches a prediction).
 */
export function centredRidge(X: number[][], Y: number[][], a: number): (x: number[]) => number[] {
  const n = X.length;
  const p = X[0].length;
  const v = Y[0].length;
  const mx = meanRow(X);
  const my = meanRow(Y);
  const Xc = X.map((r) => r.map((x, j) => x - mx[j]));
  const Yc = Y.map((r) => r.map((y, t) => y - my[t]));
  if (p < n) {
    const A = Array.from({ length: p }, (_, j) =>
      Array.from({ length: p }, (_, k) => Xc.reduce((s, r) => s + r[j] * r[k], j === k ? a : 0)),
    );
    const B = Array.from({ length: p }, (_, j) =>
      Array.from({ length: v }, (_, t) => Xc.reduce((s, r, i) => s + r[j] * Yc[i][t], 0)),
    );
    const W = solveMany(A, B);
    return (x) => my.map((m, t) => m + x.reduce((s, xj, j) => s + (xj - mx[j]) * W[j][t], 0));
  }
  const dot = (u: number[], w: number[]) => u.reduce((s, x, j) => s + x * w[j], 0);
  const K = Xc.map((r, i) => Xc.map((s, k) => dot(r, s) + (i === k ? a : 0)));
  const C = solveMany(K, Yc);
  return (x) => {
    const xc = x.map((xj, j) => xj - mx[j]);
    const k = Xc.map((r) => dot(r, xc));
    return my.map((m, t) => m + k.reduce((s, ki, i) => s + ki * C[i][t], 0));
  };
}

/** Squared LOO errors per target (mean over rows) of fits that each centre without the left-out row. */
export function bruteLooCentred(X: number[][], Y: number[][], a: number): number[] {
  const n = X.length;
  const err = new Array(Y[0].length).fill(0);
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((r) => r !== i);
    const predict = centredRidge(
      others.map((r) => X[r]),
      others.map((r) => Y[r]),
      a,
    );
    predict(X[i]).forEach((y, t) => {
      err[t] += (Y[i][t] - y) ** 2 / n;
    });
  }
  return err;
}

/** Rows of a dense matrix as float64 arrays. */
export function rowsOf(M: DenseMatrix): number[][] {
  return Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
}

function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i] - mb);
    aa += (x - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

export interface BruteCentredFold {
  /** L(a) per alpha: the squared LOO error averaged over training rows and targets. */
  looErrors: number[];
  /** First minimum. */
  best: number;
  /** Pearson r per target over the test rows at the chosen alpha. */
  scores: number[];
}

/**
 * The 'paper-centred' cross-validation by brute force, after the preset's whole-set step (row LN, done by the
 * caller): per fold, the shared alpha minimising the LOO error of refits that each centre without the left-out
 * row, then the fit on the whole training part (centred by its means) scored by Pearson r on the test part.
 */
export function bruteRidgeCvCentred(
  X: DenseMatrix,
  Y: DenseMatrix,
  assignment: ArrayLike<number>,
  alphas: readonly number[],
): BruteCentredFold[] {
  const xs = rowsOf(X);
  const ys = rowsOf(Y);
  const K = Math.max(...Array.from(assignment)) + 1;
  return Array.from({ length: K }, (_, f) => {
    const train = [...Array(X.rows).keys()].filter((i) => assignment[i] !== f);
    const test = [...Array(X.rows).keys()].filter((i) => assignment[i] === f);
    const Xt = train.map((i) => xs[i]);
    const Yt = train.map((i) => ys[i]);
    const looErrors = alphas.map((a) => {
      const e = bruteLooCentred(Xt, Yt, a);
      return e.reduce((s, x) => s + x, 0) / e.length;
    });
    let best = 0;
    looErrors.forEach((e, k) => {
      if (e < looErrors[best]) best = k;
    });
    const predict = centredRidge(Xt, Yt, alphas[best]);
    const preds = test.map((i) => predict(xs[i]));
    const scores = ys[0].map((_, t) =>
      pearson(
        preds.map((r) => r[t]),
        test.map((i) => ys[i][t]),
      ),
    );
    return { looErrors, best, scores };
  });
}
