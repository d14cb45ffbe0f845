/** Per-voxel z-scoring within one session. */
import { columnStats, isConstantColumn } from '../compute/column-stats';

/**
 * In place: z-score each column of a row-major (rows x cols) matrix over its rows, with the population
 * standard deviation (divide by n). Columns with zero variance become 0. Accumulates in float64.
 */
export function zscoreColumnsInPlace(data: Float32Array, rows: number, cols: number): void {
  const { mean, sd } = columnStats({ rows, cols, data });
  const inv = new Float64Array(cols);
  // Constant columns (rounding-level residue included) become 0.
  for (let c = 0; c < cols; c++) inv[c] = isConstantColumn(sd[c], mean[c]) ? 0 : 1 / sd[c];
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) data[o + c] = inv[c] === 0 ? 0 : (data[o + c] - mean[c]) * inv[c];
  }
}
