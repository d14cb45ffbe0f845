/** Random test matrices. */
import type { CsrMatrix } from '../../src/compute/matrix';
import type { Rng } from '../../src/compute/random';

/** CSR n x p with k distinct uniformly drawn columns per row (ascending), values |N(0,1)| + 0.1. */
export function randomCsr(rng: Rng, n: number, p: number, k: number): CsrMatrix {
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cols = new Set<number>();
    while (cols.size < k) cols.add(rng.int(p));
    [...cols].sort((a, b) => a - b).forEach((c, j) => {
      indices[i * k + j] = c;
      values[i * k + j] = Math.abs(rng.normal()) + 0.1;
    });
    indptr[i + 1] = (i + 1) * k;
  }
  return { rows: n, cols: p, indptr, indices, values };
}
