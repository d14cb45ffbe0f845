/**
 * Column statistics, once: means and population standard deviations of the columns of a row-major matrix,
 * and the one rule for a constant column. Used by the ridge presets' column transforms (preprocess.ts,
 * ridge/presets.ts), the metrics' standardised columns (metrics/columns.ts) and the per-session z-scoring of
 * betas (nsd/zscore.ts). What each does with a constant column differs (scale 1 as scikit-learn's
 * StandardScaler, or a column of zeros), how it recognises one does not.
 */
import type { DenseMatrix } from './matrix';

/**
 * A column whose population sd is at most this fraction of max(1, |mean|) is constant: the spread of a constant
 * column after float64 accumulation is rounding residue (about 1e-16 of the mean), and the floor of 1 keeps an
 * all-zero or near-zero column from being scaled up from its residue alone.
 */
export const CONSTANT_COLUMN_TOL = 1e-10;

/** Whether a column with this population sd and mean is constant (see CONSTANT_COLUMN_TOL). */
export function isConstantColumn(sd: number, mean: number): boolean {
  return !(sd > CONSTANT_COLUMN_TOL * Math.max(1, Math.abs(mean)));
}

/** 1/sd, or 1 for a constant column (left unscaled, as scikit-learn's StandardScaler does) or an infinite sd. */
export function inverseSdOrOne(sd: number, mean: number): number {
  return isConstantColumn(sd, mean) || !Number.isFinite(sd) ? 1 : 1 / sd;
}

/**
 * Column means and population (1/n) standard deviations over the rows `rowsIdx` (all rows when omitted),
 * accumulated in float64 in two passes; `scale` = inverseSdOrOne(sd, mean).
 */
export function columnStats(
  X: DenseMatrix,
  rowsIdx?: ArrayLike<number>,
): { mean: Float64Array; sd: Float64Array; scale: Float64Array } {
  const { cols, data } = X;
  const n = rowsIdx ? rowsIdx.length : X.rows;
  const mean = new Float64Array(cols);
  const ss = new Float64Array(cols);
  for (let r = 0; r < n; r++) {
    const o = (rowsIdx ? rowsIdx[r] : r) * cols;
    for (let j = 0; j < cols; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= n;
  for (let r = 0; r < n; r++) {
    const o = (rowsIdx ? rowsIdx[r] : r) * cols;
    for (let j = 0; j < cols; j++) {
      const d = data[o + j] - mean[j];
      ss[j] += d * d;
    }
  }
  const sd = new Float64Array(cols);
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    sd[j] = Math.sqrt(ss[j] / n);
    scale[j] = inverseSdOrOne(sd[j], mean[j]);
  }
  return { mean, sd, scale };
}
