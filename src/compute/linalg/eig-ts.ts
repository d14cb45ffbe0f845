/**
 * Symmetric eigendecomposition in TypeScript (float64): blocked Householder tridiagonalisation, blocked
 * (compact WY) accumulation of the orthogonal factor, implicit QL with Wilkinson-type shifts (EISPACK tql2).
 * About 9 n^3 flops in row-wise, contiguous loops (the blocked updates are matrix products); every array is
 * row-major and the accumulated factor is kept transposed so that each plane rotation touches two
 * contiguous rows.
 */

/** sqrt(a^2 + b^2) without overflow or underflow. */
function hypot(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a < b) {
    const t = a;
    a = b;
    b = t;
  }
  if (a === 0) return 0;
  const r = b / a;
  return a * Math.sqrt(1 + r * r);
}

/** Panel width of the blocked reduction and of the blocked accumulation of Q. */
const NB = 32;

/**
 * Reduce the symmetric A (n x n, row-major, full storage, OVERWRITTEN) to tridiagonal T = Q' A Q.
 * On return d (n) holds T's diagonal, e (n) its sub-diagonal (e[i] = T[i+1, i], e[n-1] = 0), and qt (n x n,
 * overwritten) holds Q' row-major (so row j of qt is column j of Q).
 *
 * Blocked as LAPACK's dsytrd/dlatrd: within a panel of NB columns the trailing matrix is left as it was at the
 * panel start and each step corrects its row and its matrix-vector product with the panel's vectors (U, W);
 * the trailing matrix then takes one rank-2NB update A -= U W' + W U'. The Householder vectors u_k (nonzero
 * from k+1, H_k = I - beta_k u_k u_k') are kept in row k of A for the accumulation of Q (accumulateQt).
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one blocked Householder reduction (LAPACK dsytrd's steps in order); its kernels are already separate
export function tridiagonalise(n: number, a: Float64Array, d: Float64Array, e: Float64Array, qt: Float64Array): void {
  const beta = new Float64Array(n);
  const ut = new Float64Array(NB * n); // panel vectors u_j as rows (zero before their start)
  const wt = new Float64Array(NB * n);
  const row = new Float64Array(n);
  const p = new Float64Array(n);
  const cu = new Float64Array(NB);
  const cw = new Float64Array(NB);
  for (let k0 = 0; k0 < n - 2; k0 += NB) {
    const k1 = Math.min(n - 2, k0 + NB);
    ut.fill(0);
    wt.fill(0);
    for (let k = k0; k < k1; k++) {
      const jk = k - k0;
      const rk = k * n;
      const m0 = k + 1;
      // Current row k (columns k..n-1) = panel-start row - sum_j (u_j[k] w_j + w_j[k] u_j).
      for (let c = k; c < n; c++) row[c] = a[rk + c];
      for (let j = 0; j < jk; j++) {
        const o = j * n;
        const uk = ut[o + k];
        const wk = wt[o + k];
        for (let c = k; c < n; c++) row[c] -= uk * wt[o + c] + wk * ut[o + c];
      }
      d[k] = row[k];
      let scale = 0;
      for (let c = m0; c < n; c++) scale = Math.max(scale, Math.abs(row[c]));
      if (scale === 0) {
        e[k] = 0;
        beta[k] = 0;
        for (let c = m0; c < n; c++) a[rk + c] = 0;
        continue;
      }
      let ss = 0;
      for (let c = m0; c < n; c++) {
        const v = row[c] / scale;
        ss += v * v;
      }
      const x0 = row[m0];
      const alpha = (x0 >= 0 ? -1 : 1) * Math.sqrt(ss) * scale;
      row[m0] = x0 - alpha; // u = x - alpha e1
      let uu = 0;
      for (let c = m0; c < n; c++) uu += row[c] * row[c];
      e[k] = alpha;
      const ou = jk * n;
      for (let c = m0; c < n; c++) {
        ut[ou + c] = row[c];
        a[rk + c] = row[c];
      }
      if (uu === 0) {
        beta[k] = 0;
        continue;
      }
      const b = 2 / uu;
      beta[k] = b;
      // p = b (A0 u - sum_j (u_j (w_j'u) + w_j (u_j'u))) over rows m0..n-1, A0 = panel-start matrix.
      for (let j = 0; j < jk; j++) {
        const o = j * n;
        let su = 0;
        let sw = 0;
        for (let c = m0; c < n; c++) {
          su += ut[o + c] * row[c];
          sw += wt[o + c] * row[c];
        }
        cu[j] = su;
        cw[j] = sw;
      }
      let up = 0;
      for (let i = m0; i < n; i++) {
        const ri = i * n;
        let s0 = 0;
        let s1 = 0;
        let c = m0;
        for (; c + 1 < n; c += 2) {
          s0 += a[ri + c] * row[c];
          s1 += a[ri + c + 1] * row[c + 1];
        }
        if (c < n) s0 += a[ri + c] * row[c];
        let s = s0 + s1;
        for (let j = 0; j < jk; j++) s -= ut[j * n + i] * cw[j] + wt[j * n + i] * cu[j];
        s *= b;
        p[i] = s;
        up += row[i] * s;
      }
      const K = 0.5 * b * up;
      for (let i = m0; i < n; i++) wt[ou + i] = p[i] - K * row[i];
    }
    rank2kUpdate(n, k1, k1 - k0, a, ut, wt);
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) {
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 1] = 0;
  }
  accumulateQt(n, a, beta, qt);
}

/** A[s:, s:] -= U W' + W U' with U, W the first r rows of ut, wt (rows of length n); column-blocked. */
function rank2kUpdate(n: number, s: number, r: number, a: Float64Array, ut: Float64Array, wt: Float64Array): void {
  const CB = 256;
  const t = 2 * r;
  const coef = new Float64Array(t);
  const base = new Int32Array(t); // offset of each basis row: coef[2j] pairs with w_j, coef[2j+1] with u_j
  for (let j = 0; j < r; j++) {
    base[2 * j] = j * n;
    base[2 * j + 1] = j * n;
  }
  for (let c0 = s; c0 < n; c0 += CB) {
    const c1 = Math.min(n, c0 + CB);
    for (let i = s; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < r; j++) {
        coef[2 * j] = ut[j * n + i];
        coef[2 * j + 1] = wt[j * n + i];
      }
      // four basis rows per pass: (w_j, u_j, w_{j+1}, u_{j+1})
      let j = 0;
      for (; j + 1 < r; j += 2) {
        const a0 = coef[2 * j],
          a1 = coef[2 * j + 1],
          a2 = coef[2 * j + 2],
          a3 = coef[2 * j + 3];
        const o0 = j * n,
          o1 = o0 + n;
        for (let c = c0; c < c1; c++) {
          a[ri + c] -= a0 * wt[o0 + c] + a1 * ut[o0 + c] + a2 * wt[o1 + c] + a3 * ut[o1 + c];
        }
      }
      for (; j < r; j++) {
        const a0 = coef[2 * j],
          a1 = coef[2 * j + 1];
        const o0 = j * n;
        for (let c = c0; c < c1; c++) a[ri + c] -= a0 * wt[o0 + c] + a1 * ut[o0 + c];
      }
    }
  }
}

/**
 * qt (n x n, overwritten) = Q' = H_{n-3} ... H_0, with u_k in row k of a (from column k+1) and H_k = I -
 * beta_k u_k u_k'. Built as I H_{n-3} ... H_0, NB reflectors at a time in compact WY form:
 * H_{k1-1} ... H_{k0} = I - V T V' (V = [u_{k1-1} .. u_{k0}], T upper triangular), M <- M - (M V) T V'.
 */
function accumulateQt(n: number, a: Float64Array, beta: Float64Array, qt: Float64Array): void {
  qt.fill(0);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  const vt = new Float64Array(NB * n);
  const T = new Float64Array(NB * NB);
  const z = new Float64Array(NB);
  const y = new Float64Array(NB);
  for (let kEnd = n - 2; kEnd > 0; kEnd -= NB) {
    const kStart = Math.max(0, kEnd - NB);
    const r = kEnd - kStart;
    const c0 = kStart + 1;
    vt.fill(0);
    for (let t = 0; t < r; t++) {
      const k = kEnd - 1 - t;
      vt.set(a.subarray(k * n + k + 1, (k + 1) * n), t * n + k + 1);
    }
    // T: T[t][t] = tau_t; T[0:t, t] = -tau_t T[0:t, 0:t] (V[:, 0:t]' v_t).
    T.fill(0);
    for (let t = 0; t < r; t++) {
      const tau = beta[kEnd - 1 - t];
      T[t * NB + t] = tau;
      if (tau === 0) continue;
      for (let q = 0; q < t; q++) {
        let s = 0;
        for (let c = c0; c < n; c++) s += vt[q * n + c] * vt[t * n + c];
        z[q] = s;
      }
      for (let q = 0; q < t; q++) {
        let s = 0;
        for (let w = q; w < t; w++) s += T[q * NB + w] * z[w];
        T[q * NB + t] = -tau * s;
      }
    }
    for (let i = c0; i < n; i++) {
      const ri = i * n;
      // y = M[i, c0:] V, four reflectors per pass
      let t = 0;
      for (; t + 3 < r; t += 4) {
        const o0 = t * n,
          o1 = o0 + n,
          o2 = o1 + n,
          o3 = o2 + n;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let c = c0; c < n; c++) {
          const m = qt[ri + c];
          s0 += m * vt[o0 + c];
          s1 += m * vt[o1 + c];
          s2 += m * vt[o2 + c];
          s3 += m * vt[o3 + c];
        }
        y[t] = s0;
        y[t + 1] = s1;
        y[t + 2] = s2;
        y[t + 3] = s3;
      }
      for (; t < r; t++) {
        const o0 = t * n;
        let s0 = 0;
        for (let c = c0; c < n; c++) s0 += qt[ri + c] * vt[o0 + c];
        y[t] = s0;
      }
      // z = y T
      let any = false;
      for (let q = 0; q < r; q++) {
        let s = 0;
        for (let w = 0; w <= q; w++) s += y[w] * T[w * NB + q];
        z[q] = s;
        if (s !== 0) any = true;
      }
      if (!any) continue;
      // M[i, c0:] -= z V'
      t = 0;
      for (; t + 3 < r; t += 4) {
        const z0 = z[t],
          z1 = z[t + 1],
          z2 = z[t + 2],
          z3 = z[t + 3];
        const o0 = t * n,
          o1 = o0 + n,
          o2 = o1 + n,
          o3 = o2 + n;
        for (let c = c0; c < n; c++)
          qt[ri + c] -= z0 * vt[o0 + c] + z1 * vt[o1 + c] + z2 * vt[o2 + c] + z3 * vt[o3 + c];
      }
      for (; t < r; t++) {
        const z0 = z[t];
        const o0 = t * n;
        for (let c = c0; c < n; c++) qt[ri + c] -= z0 * vt[o0 + c];
      }
    }
  }
}

/**
 * Eigen-decomposition of the symmetric tridiagonal (d, e) by implicit QL (EISPACK tql2), rotating the rows
 * of zt (n x n, row-major): on entry row j of zt is column j of the basis Q; on return d holds the eigenvalues
 * (unsorted) and row j of zt the eigenvector (in the original basis) for d[j]. e is destroyed.
 * (Logging the rotations and applying them to cache-sized column blocks was measured: no faster in V8, where
 * the ~6 n^3 flops of the rotations are compute-bound at ~1.5-2.5 GFLOP/s.)
 * Throws if an eigenvalue fails to converge in 60 iterations.
 */
export function tql2(n: number, d: Float64Array, e: Float64Array, zt: Float64Array): void {
  if (n === 0) return;
  const eps = 2 ** -52;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`symEig: QL iteration did not converge for eigenvalue ${l}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // Rotate rows i and i+1 of zt.
          const ri = i * n;
          const rj = ri + n;
          for (let k = 0; k < n; k++) {
            const zh = zt[rj + k];
            const zi = zt[ri + k];
            zt[rj + k] = s * zi + c * zh;
            zt[ri + k] = c * zi - s * zh;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/**
 * Eigenvalues (ascending) and eigenvectors of the symmetric A (n x n, row-major; only its upper triangle is
 * read; not modified). Returns values and vectors (n x n row-major, COLUMN j is the unit eigenvector of
 * values[j]).
 */
export function symEigTs(n: number, aIn: Float64Array): { values: Float64Array; vectors: Float64Array } {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = aIn[i * n + j];
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const zt = new Float64Array(n * n);
  tridiagonalise(n, a, d, e, zt);
  tql2(n, d, e, zt);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x] - d[y]);
  const values = new Float64Array(n);
  const vectors = a; // reuse: vectors[k, j] = zt[order[j], k]
  for (let j = 0; j < n; j++) {
    const src = order[j] * n;
    values[j] = d[order[j]];
    for (let k = 0; k < n; k++) vectors[k * n + j] = zt[src + k];
  }
  return { values, vectors };
}
