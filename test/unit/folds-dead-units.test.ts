import { describe, expect, it } from 'vitest';
import { findLiveColumns } from '../../src/compute/dead-units';
import { type CsrMatrix, denseMatrix } from '../../src/compute/matrix';

/** Dense -> CSR (explicit zeros left out). */
function toCsr(rows: number, cols: number, data: number[]): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (data[r * cols + c] !== 0) idx.push(c), vals.push(data[r * cols + c]);
    indptr[r + 1] = idx.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(vals) };
}

describe('findLiveColumns', () => {
  // 6 rows, folds [0,0,1,1,2,2]; columns:
  // 0: non-zero in every fold (kept); 1: all zero (dropped); 2: zero in fold 2 only (test part dead: dropped);
  // 3: non-zero only in fold 1 (training part of fold 1 dead: dropped); 4: negative values everywhere (kept).
  const assignment = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const data = [
    1,
    0,
    1,
    0,
    -1, //
    0,
    0,
    2,
    0,
    -2, //
    3,
    0,
    0,
    5,
    -3, //
    0,
    0,
    4,
    0,
    -4, //
    0,
    0,
    0,
    0,
    -5, //
    2,
    0,
    0,
    0,
    -6, //
  ];
  it('dense', () => {
    const r = findLiveColumns(denseMatrix(6, 5, Float64Array.from(data)), assignment);
    expect(Array.from(r.kept)).toEqual([0, 4]);
    expect(r.dropped).toBe(3);
  });
  it('csr gives the same answer', () => {
    const r = findLiveColumns(toCsr(6, 5, data), assignment);
    expect(Array.from(r.kept)).toEqual([0, 4]);
    expect(r.dropped).toBe(3);
  });
  it('keeps everything when nothing is dead', () => {
    const r = findLiveColumns(denseMatrix(2, 3, Float32Array.from([1, 2, 3, 4, 5, 6])), Int32Array.from([0, 1]));
    expect(Array.from(r.kept)).toEqual([0, 1, 2]);
    expect(r.dropped).toBe(0);
  });
  it('checks the assignment length', () => {
    expect(() => findLiveColumns(denseMatrix(2, 1, Float32Array.from([1, 2])), Int32Array.from([0]))).toThrow(/2 rows/);
  });
});
