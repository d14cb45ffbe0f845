/**
 * Plain TypeScript kernels behind the fallbacks (no native addon, no tensor backend).
 * All matrices are row-major; outputs are overwritten or accumulated as stated.
 */
import type { FloatArray } from '../matrix';

/**
 * C (m x n) += A (m x k) B (k x n), all row-major and contiguous (lda = k, ldb = n, ldc = n).
 * Cache-blocked over n and k; the inner loop adds four rows of B at once (one load/store of C per 4 products).
 * Accumulates in C's own element type.
 */
export function gemmAcc(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const NB = 512;
  const KB = 128;
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = Math.min(n, j0 + NB);
    for (let p0 = 0; p0 < k; p0 += KB) {
      const p1 = Math.min(k, p0 + KB);
      for (let i = 0; i < m; i++) {
        const ci = i * n;
        const ai = i * k;
        let p = p0;
        for (; p + 3 < p1; p += 4) {
          const a0 = a[ai + p];
          const a1 = a[ai + p + 1];
          const a2 = a[ai + p + 2];
          const a3 = a[ai + p + 3];
          if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
          const b0 = p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
          }
        }
        for (; p < p1; p++) {
          const a0 = a[ai + p];
          if (a0 === 0) continue;
          const b0 = p * n;
          for (let j = j0; j < j1; j++) c[ci + j] += a0 * b[b0 + j];
        }
      }
    }
  }
}

/** Transposed copy: out (cols x rows) = in (rows x cols)'. Blocked for cache. */
export function transposeInto(rows: number, cols: number, src: FloatArray, out: FloatArray): void {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        const si = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[si + j];
      }
    }
  }
}

/** Copy of the upper triangle into the lower one of a square row-major matrix (n x n), in place. */
export function symmetriseFromUpper(n: number, c: FloatArray): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) c[j * n + i] = c[i * n + j];
}
