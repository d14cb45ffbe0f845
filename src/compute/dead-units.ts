/**
 * Dead-unit removal (science.md "Dead units"): before any metric, drop every unit (column) that is all-zero
 * within the training part or the test part of any fold.
 *
 * With K >= 2 folds the test part of fold f is fold f itself and its training part is the union of the
 * other folds, so a column survives exactly when it has at least one non-zero value inside every fold.
 */
import { foldCount } from './folds';
import { type CsrMatrix, type DenseMatrix, isCsr } from './matrix';

/**
 * Columns of X that are non-zero somewhere in every fold.
 * @param X samples x units, dense or CSR (rows aligned with `assignment`).
 * @param assignment fold index per row (0..K-1).
 * @returns kept: ascending column indices to keep; dropped: how many columns were removed.
 */
export function findLiveColumns(
  X: DenseMatrix | CsrMatrix,
  assignment: Int32Array,
): { kept: Int32Array; dropped: number } {
  if (assignment.length !== X.rows) {
    throw new RangeError(`fold assignment has ${assignment.length} entries but the matrix has ${X.rows} rows`);
  }
  const k = foldCount(assignment);
  const cols = X.cols;
  // seen[f * cols + j] = 1 when column j has a non-zero value in fold f.
  const seen = new Uint8Array(k * cols);
  if (isCsr(X)) {
    for (let r = 0; r < X.rows; r++) {
      const base = assignment[r] * cols;
      for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) if (X.values[p] !== 0) seen[base + X.indices[p]] = 1;
    }
  } else {
    const d = X.data;
    for (let r = 0; r < X.rows; r++) {
      const base = assignment[r] * cols;
      const row = r * cols;
      for (let j = 0; j < cols; j++) if (d[row + j] !== 0) seen[base + j] = 1;
    }
  }
  const keep: number[] = [];
  for (let j = 0; j < cols; j++) {
    let live = k > 0;
    for (let f = 0; f < k && live; f++) live = seen[f * cols + j] === 1;
    if (live) keep.push(j);
  }
  return { kept: Int32Array.from(keep), dropped: cols - keep.length };
}
