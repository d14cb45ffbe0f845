/**
 * CSR kernels against scipy.sparse (test/fixtures/linalg/sparse.json), on the native addon (multi-threaded C)
 * and on the TypeScript loops. The fixture has empty rows, a dead column and a column shared by half the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  csrGram,
  csrMatmulCsrT,
  csrMatmulDense,
  denseMatmulCsrT,
  nativeAvailable,
  setNativeEnabled,
} from '../../src/compute/linalg/index';
import type { CsrMatrix } from '../../src/compute/matrix';
import { csr, f32, f64, loadFixture, maxAbs, maxAbsDiff, type JsonCsr, type JsonMat } from '../fixtures/linalg/load';

const fx = loadFixture<
  { a: JsonCsr; a2: JsonCsr } & Record<'b' | 'bt' | 'd' | 'ab' | 'atb' | 'dat' | 'aa2t' | 'ata' | 'aat', JsonMat>
>('sparse');
const A = csr(fx.a);
const A2 = csr(fx.a2);

function close(got: { rows: number; cols: number; data: ArrayLike<number> }, ref: JsonMat, f64sums: boolean): void {
  expect(got.rows).toBe(ref.rows);
  expect(got.cols).toBe(ref.cols);
  const tol = f64sums ? 1e-12 * Math.max(1, maxAbs(ref.data)) : 1e-6 * Math.max(1, maxAbs(ref.data));
  expect(maxAbsDiff(got.data, ref.data)).toBeLessThan(tol);
}

function symmetricExact(m: { rows: number; data: Float64Array }): void {
  const n = m.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(m.data[i * n + j]).toBe(m.data[j * n + i]);
}

describe.each(['native', 'ts'] as const)('CSR kernels (%s)', (mode) => {
  const skip = mode === 'native' && !nativeAvailable();
  let prev = true;
  beforeAll(() => {
    prev = setNativeEnabled(mode === 'native');
  });
  afterAll(() => {
    setNativeEnabled(prev);
  });

  it.skipIf(skip)("csrMatmulDense: A B and A' B (float32 and float64 B)", () => {
    const ab = csrMatmulDense(A, f32(fx.b));
    expect(ab.data).toBeInstanceOf(Float32Array);
    close(ab, fx.ab, false);
    close(csrMatmulDense(A, f64(fx.b)), fx.ab, false);
    close(csrMatmulDense(A, f32(fx.bt), { transA: true }), fx.atb, false);
    expect(() => csrMatmulDense(A, f32(fx.bt))).toThrow(RangeError);
  });

  it.skipIf(skip)("denseMatmulCsrT: D A'", () => {
    const r = denseMatmulCsrT(f32(fx.d), A);
    expect(r.data).toBeInstanceOf(Float32Array);
    close(r, fx.dat, false);
    expect(() => denseMatmulCsrT(f32(fx.b), A)).toThrow(RangeError);
  });

  it.skipIf(skip)("csrMatmulCsrT: A A2' (float64)", () => {
    const r = csrMatmulCsrT(A, A2);
    expect(r.data).toBeInstanceOf(Float64Array);
    close(r, fx.aa2t, true);
  });

  it.skipIf(skip)("csrGram cols (A'A) and rows (AA'), exactly symmetric", () => {
    const g = csrGram(A, 'cols');
    close(g, fx.ata, true);
    symmetricExact(g);
    const k = csrGram(A, 'rows');
    close(k, fx.aat, true);
    symmetricExact(k);
  });
});

describe('CSR validation (native)', () => {
  it.runIf(nativeAvailable())('rejects out-of-range column indices instead of writing out of bounds', () => {
    const bad: CsrMatrix = { ...A, indices: Int32Array.from(A.indices) };
    bad.indices[3] = A.cols + 5;
    expect(() => csrGram(bad, 'cols')).toThrow(/column index/);
    const dec: CsrMatrix = { ...A, indptr: Int32Array.from(A.indptr) };
    dec.indptr[4] = dec.indptr[3] - 1;
    expect(() => csrMatmulDense(dec, f32(fx.b))).toThrow(/indptr/);
  });
});
