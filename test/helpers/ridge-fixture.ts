/** The raw data of a ridge fixture case (test/fixtures/ridge/gen_*.py) and its source matrix. */
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import type { RidgePreset } from '../../src/compute/ridge/index';

export interface RidgeFixtureCase {
  name: string;
  preset: RidgePreset;
  n: number;
  p: number;
  v: number;
  /** Dense X (n x p, row-major) or CSR. */
  X?: number[];
  csr?: { indptr: number[]; indices: number[]; values: number[] };
  Y: number[];
  assignment: number[];
  alphas: number[];
  keptX: number[];
  keptY: number[];
}

/** X of a case, dense or CSR, as float32. */
export function fixtureSource(c: RidgeFixtureCase): DenseMatrix<Float32Array> | CsrMatrix {
  if (c.csr)
    return {
      rows: c.n,
      cols: c.p,
      indptr: Int32Array.from(c.csr.indptr),
      indices: Int32Array.from(c.csr.indices),
      values: Float32Array.from(c.csr.values),
    };
  return { rows: c.n, cols: c.p, data: Float32Array.from(c.X!) };
}
