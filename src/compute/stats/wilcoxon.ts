/**
 * Wilcoxon signed-rank test of paired differences against 0, with scipy.stats.wilcoxon's defaults (scipy 1.17:
 * zero_method='wilcox', correction=False, alternative='two-sided', method='auto'):
 * - zeros are dropped from the ranking (but count in n for the choice of method); |d| ranked with average ties;
 * - n > 50 -> 'asymptotic': z = (R+ - m(m+1)/4) / sqrt((m(m+1)(2m+1) - sum(t^3 - t)/2) / 24), m = non-zero count,
 *   t = tie-group sizes, no continuity correction, p = 2 min(Phi(z), 1 - Phi(z));
 * - n <= 50, no ties and no zeros -> 'exact': p = min(1, 2 min(P(W <= R+), P(W >= R+))) under the exact null;
 * - n <= 13 with ties or zeros -> 'permutation': all 2^n sign flips of the signed ranks (exact);
 * - otherwise -> 'asymptotic'.
 * Non-finite differences are omitted (scipy's nan_policy='omit').
 */
import { normalCdf, signrankCdf } from './distributions';
import { signFlipTest } from './sign-flip';

export interface WilcoxonResult {
  /** min(R+, R-), what scipy reports for the two-sided test. */
  statistic: number;
  rPlus: number;
  rMinus: number;
  /** Finite differences, zeros included. */
  n: number;
  zeros: number;
  p: number;
  method: 'exact' | 'permutation' | 'asymptotic';
  /** z of the normal approximation (asymptotic only). */
  z?: number;
}

/** Average ranks (1-based) of v, and the sizes of its tie groups. */
function averageRanks(v: number[]): { ranks: number[]; ties: number[] } {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Array<number>(v.length);
  const ties: number[] = [];
  for (let s = 0; s < order.length; ) {
    let e = s + 1;
    while (e < order.length && v[order[e]] === v[order[s]]) e++;
    const r = (s + 1 + e) / 2;
    for (let k = s; k < e; k++) ranks[order[k]] = r;
    ties.push(e - s);
    s = e;
  }
  return { ranks, ties };
}

export function wilcoxonSignedRank(d: ArrayLike<number>): WilcoxonResult {
  const all: number[] = [];
  for (let i = 0; i < d.length; i++) if (Number.isFinite(d[i])) all.push(d[i]);
  const n = all.length;
  const nz = all.filter((x) => x !== 0);
  const zeros = n - nz.length;
  const m = nz.length;
  const { ranks, ties } = averageRanks(nz.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  for (let i = 0; i < m; i++) {
    if (nz[i] > 0) rPlus += ranks[i];
    else rMinus += ranks[i];
  }
  const statistic = Math.min(rPlus, rMinus);
  const base = { statistic, rPlus, rMinus, n, zeros };
  if (m === 0) return { ...base, p: NaN, method: n > 50 ? 'asymptotic' : 'exact' };
  const hasTies = ties.some((t) => t > 1);
  if (n <= 50 && !hasTies && zeros === 0) {
    // R+ is an integer here: no rounding needed before the CDF.
    const cdf = signrankCdf(rPlus, m);
    const sf = 1 - signrankCdf(rPlus - 1, m);
    return { ...base, p: Math.min(1, 2 * Math.min(sf, cdf)), method: 'exact' };
  }
  if (n <= 13) {
    // R+ = (sum of ranks + sum_i s_i r_i sign(d_i)) / 2 is monotone in the signed-rank sum, so the sign-flip
    // test of the signed ranks is scipy's permutation test of R+ (zeros flip to themselves).
    const w = [...nz.map((x, i) => Math.sign(x) * ranks[i]), ...new Array<number>(zeros).fill(0)];
    return { ...base, p: signFlipTest(w, { nPermutations: 2 ** n }).p, method: 'permutation' };
  }
  const tieTerm = ties.reduce((s, t) => s + t ** 3 - t, 0);
  const se = Math.sqrt((m * (m + 1) * (2 * m + 1) - tieTerm / 2) / 24);
  const z = (rPlus - (m * (m + 1)) / 4) / se;
  const p = Math.min(1, 2 * normalCdf(-Math.abs(z)));
  return { ...base, p, method: 'asymptotic', z };
}
