/**
 * The shared-alpha LOO criterion of many target groups (ROIs) over one basis, with the alpha-dependent work
 * that depends only on X done once for all groups.
 *
 * looSharedAlpha's 'weighted-gram' evaluation writes each group's criterion as
 *   n v L(a) = base(a) + 2 d(a) . cross(a) + sum_jl d_j d_l M_jl Omega_jl(a),   M = BB', B = U'Y,
 * where Omega(a) = U' diag(w(a)) U and w_i(a) = 1 / (1 - h_i(a))^2 come from U, s2 and the alphas alone. Per
 * group that costs n q^2 per alpha for Omega; here Omega is formed once per fold and every group only adds its
 * own M (q^2 v) and, for a basis that is not full rank, its r0 and C' (looSharedAlpha's remainder parts).
 * At NSD size (dual, q = n ~ 8,000, 20 ROIs of 38,000 voxels in all) that replaces 17 n q v multiply-adds of
 * residual products (direct path) or 17 n q^2 / 2 per ROI (weighted-gram per ROI) by 17 n q^2 / 2 + q^2 v / 2
 * in all: ~7x fewer (B = U'Y, n q v, is common to every path).
 *
 * Memory: Omega is never held whole (17 x q^2 float64 would be 8 GB at q = 7,900). The q x q index is walked by
 * blocks of rows J: Omega_k[J, j0:] for every alpha and M_r[J, j0:] for every group (the upper triangle; the
 * symmetric rest counts twice), then one float64 product of the two stacks adds every (group, alpha) pair's
 * share. A block holds (groups + alphas) x b x q float64, b chosen to keep that under BLOCK_BYTES.
 */
import { matmul } from '../linalg/index';
import { transposeInto } from '../linalg/kernels';
import type { DenseMatrix, FloatArray } from '../matrix';
import {
  basisLeverage,
  type LooOptions,
  type SharedAlphaResult,
  finishSharedAlpha,
  looDenominators,
  outsideSpanParts,
  shrinkFactors,
  spansTargets,
  weightedRemainder,
} from './loo-parts';

/** Bytes of the per-block stacks (Omega blocks of every alpha + M blocks of every group, float64). */
const BLOCK_BYTES = 256 * 2 ** 20;

/**
 * Multiply-adds of the two ways to evaluate every group's criterion: each group on its own (at most its direct
 * path's count: looSharedAlpha's pick, weighted-gram for q <= 2v, is taken as no dearer) or all groups together
 * (looSharedAlphaGroups). B = U'Y, common to both, is left out.
 */
export function groupSearchCost(
  n: number,
  q: number,
  m: number,
  targets: readonly number[],
): { perGroup: number; together: number } {
  // Symmetric products (Omega, M) count their upper triangle: n q^2 / 2 and q^2 v / 2.
  const fullRank = q === n;
  const remainder = (v: number) => (fullRank ? 0 : 2 * n * q * v);
  const weightedGram = (v: number) => (m * n * q * q + q * q * v) / 2 + remainder(v);
  let perGroup = 0;
  let together = (m * n * q * q) / 2;
  for (const v of targets) {
    perGroup += Math.min(q <= 2 * v ? weightedGram(v) : m * n * q * v, m * n * q * v);
    together += (q * q * v) / 2 + remainder(v);
  }
  return { perGroup, together };
}

/** Rows [r0, r1) of a row-major matrix as a view (no copy). */
function rowsView(M: DenseMatrix, r0: number, r1: number): DenseMatrix {
  return { rows: r1 - r0, cols: M.cols, data: M.data.subarray(r0 * M.cols, r1 * M.cols) as FloatArray };
}

/**
 * looSharedAlpha for every group at once: the same criterion per group (errors, first minimum, B = U'Y),
 * Omega shared (see the file comment). Uses looSharedAlpha's weighted-gram formula, so with one group it
 * equals looSharedAlpha(..., { path: 'weighted-gram', native: false }) up to the order of float64 sums.
 * @param U n x q orthonormal columns; @param s2 q.
 * @param Ys each group's training targets (n x v_r), or a getter called once per group in order: the targets
 *   are only read to form B = U'Y (and the remainder parts), so a getter lets the caller build each group's
 *   targets just then and never hold all of them (1.2 GB at NSD size with 38,000 ROI voxels).
 */
export function looSharedAlphaGroups(
  U: DenseMatrix,
  s2: Float64Array,
  Ys: readonly DenseMatrix[] | { count: number; get: (r: number) => DenseMatrix },
  alphas: readonly number[],
  opts: Omit<LooOptions, 'path' | 'native'> & {
    /** Bytes of the per-block stacks (tests: several blocks). */ blockBytes?: number;
  } = {},
): SharedAlphaResult[] {
  const leverage = basisLeverage(U, opts);
  const precision = opts.precision ?? 'f64';
  const n = U.rows;
  const q = U.cols;
  const m = alphas.length;
  const groups = 'get' in Ys ? Ys : { count: Ys.length, get: (r: number) => Ys[r] };
  const R = groups.count;
  const widths = new Int32Array(R);
  const fullRank = spansTargets(U, !!opts.intercept);
  const den = looDenominators(U, s2, alphas, !!opts.intercept, leverage);
  const w = new Float64Array(m * n); // w_ki = 1 / den_ki^2
  for (let i = 0; i < w.length; i++) w[i] = 1 / (den[i] * den[i]);
  const d = alphas.map((a) => shrinkFactors(s2, a).d);

  // Per group: B = U'Y and, outside a full-rank basis, the alpha-independent remainder sums.
  const Bs: DenseMatrix[] = [];
  const base = new Float64Array(R * m);
  const cross: (Float64Array | null)[] = [];
  for (let r = 0; r < R; r++) {
    opts.check?.();
    const Y = groups.get(r);
    widths[r] = Y.cols;
    const B = matmul(U, Y, { transA: true, precision });
    Bs.push(B);
    if (fullRank) {
      cross.push(null);
      continue;
    }
    const { r0, ct } = outsideSpanParts(U, Y, B, precision);
    const rem = weightedRemainder(U, w, m, r0, ct, precision);
    base.set(rem.base, r * m);
    cross.push(rem.cross);
  }

  // U' (q x n) so that the rows of a block of Omega's index are contiguous.
  const Ctor = (precision === 'f64' ? Float64Array : Float32Array) as { new (k: number): FloatArray };
  const ut = new Ctor(q * n);
  transposeInto(n, q, U.data, ut);
  const Ut: DenseMatrix = { rows: q, cols: n, data: ut };

  const quad = new Float64Array(R * m); // sum_jl d_j d_l M_jl Omega_jl per (group, alpha)
  const b = Math.max(1, Math.min(q, Math.floor((opts.blockBytes ?? BLOCK_BYTES) / ((R + m) * q * 8))));
  for (let j0 = 0; j0 < q; j0 += b) {
    const j1 = Math.min(q, j0 + b);
    const bw = j1 - j0;
    const width = q - j0;
    const L = bw * width;
    const tail = rowsView(Ut, j0, q); // U[:, j0:]'
    const omegaStack = new Float64Array(m * L); // d_j d_l Omega_k[j, l] x (1 or 2)
    const A = new Ctor(bw * n);
    for (let k = 0; k < m; k++) {
      opts.check?.();
      const wk = w.subarray(k * n, (k + 1) * n);
      for (let jj = 0; jj < bw; jj++) {
        const o = (j0 + jj) * n;
        for (let i = 0; i < n; i++) A[jj * n + i] = ut[o + i] * wk[i];
      }
      const Om = matmul({ rows: bw, cols: n, data: A }, tail, { transB: true, precision }).data; // Omega_k[J, j0:]
      const dk = d[k];
      const out = omegaStack.subarray(k * L, (k + 1) * L);
      for (let jj = 0; jj < bw; jj++) {
        const o = jj * width;
        // the diagonal block J x J is whole (counted once); columns past it stand for their mirror too (x 2)
        const once = dk[j0 + jj];
        const twice = 2 * once;
        for (let c = 0; c < bw; c++) out[o + c] = once * dk[j0 + c] * Om[o + c];
        for (let c = bw; c < width; c++) out[o + c] = twice * dk[j0 + c] * Om[o + c];
      }
    }
    const mStack = new Float64Array(R * L);
    for (let r = 0; r < R; r++) {
      opts.check?.();
      const Mb = matmul(rowsView(Bs[r], j0, j1), rowsView(Bs[r], j0, q), { transB: true, precision }).data; // M_r[J, j0:]
      mStack.set(Mb, r * L);
    }
    const part = matmul(
      { rows: R, cols: L, data: mStack },
      { rows: m, cols: L, data: omegaStack },
      { transB: true, precision: 'f64' },
    ).data;
    for (let i = 0; i < R * m; i++) quad[i] += part[i];
  }

  return Bs.map((B, r) => {
    const v = widths[r];
    const errors = new Float64Array(m);
    const cr = cross[r];
    for (let k = 0; k < m; k++) {
      let c = 0;
      if (cr) for (let j = 0; j < q; j++) c += d[k][j] * cr[k * q + j];
      errors[k] = Math.max(0, base[r * m + k] + 2 * c + quad[r * m + k]) / (n * v);
    }
    return finishSharedAlpha(errors, B, 'weighted-gram');
  });
}
