/** Per-voxel z-scoring within one session. */

/**
 * In place: z-score each column of a row-major (rows x cols) matrix over its rows, with the population
 * standard deviation (divide by n). Columns with zero variance become 0. Accumulates in float64.
 */
export function zscoreColumnsInPlace(data: Float32Array, rows: number, cols: number): void {
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) mean[c] += data[o + c];
  }
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const d = data[o + c] - mean[c];
      sq[c] += d * d;
    }
  }
  const inv = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const sd = Math.sqrt(sq[c] / rows);
    // Relative threshold: constant columns can leave rounding-level residue.
    inv[c] = sd > 1e-12 * Math.max(1, Math.abs(mean[c])) ? 1 / sd : 0;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) data[o + c] = inv[c] === 0 ? 0 : (data[o + c] - mean[c]) * inv[c];
  }
}
