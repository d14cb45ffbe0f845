/**
 * Paired sign-flip permutation test of T = sum_i w_i: under H0 each w_i is symmetric about 0, so the null
 * distribution is that of sum_i s_i w_i over sign vectors s in {-1, +1}^n. Two-sided p as
 * scipy.stats.permutation_test(permutation_type='samples') computes it: p = min(1, 2 min(P(T* <= T), P(T* >= T)))
 * with a relative tolerance of 100 machine epsilons around T; exact enumeration of all 2^n sign vectors when
 * 2^n <= nPermutations (p = count / 2^n), otherwise nPermutations seeded random sign vectors
 * (p = (count + 1) / (nPermutations + 1), Phipson & Smyth 2010).
 */
import { Rng } from '../random';

export interface SignFlipOptions {
  /** Random sign vectors when 2^n exceeds it; also the exact-enumeration threshold (default 9999, scipy's). */
  nPermutations?: number;
  /** Seed of the random sign vectors (default 0). */
  seed?: number;
}

export interface SignFlipResult {
  /** Observed statistic sum_i w_i. */
  observed: number;
  /** Two-sided p-value. */
  p: number;
  exact: boolean;
  /** Sign vectors evaluated: 2^n when exact. */
  nPermutations: number;
  seed: number;
}

/** Exact enumeration stops here (2^24 sign vectors, n 2^n work) whatever nPermutations says. */
const MAX_EXACT_N = 24;
const TOL = 100 * Number.EPSILON;

export function signFlipTest(w: ArrayLike<number>, options: SignFlipOptions = {}): SignFlipResult {
  const nPermutations = options.nPermutations ?? 9999;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(nPermutations) && nPermutations > 0))
    throw new RangeError('nPermutations must be a positive integer');
  const x = Float64Array.from(w);
  if (x.some((v) => !Number.isFinite(v))) throw new RangeError('signFlipTest: non-finite value');
  const n = x.length;
  let observed = 0;
  for (let i = 0; i < n; i++) observed += x[i];
  const gamma = Math.abs(TOL * observed);
  let less = 0;
  let greater = 0;
  const tally = (t: number) => {
    if (t <= observed + gamma) less++;
    if (t >= observed - gamma) greater++;
  };
  const exact = n <= MAX_EXACT_N && 2 ** n <= nPermutations;
  let total: number;
  if (exact) {
    // Each sum is computed afresh (not by Gray-code updates) so that ties with T stay ties.
    total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let t = 0;
      for (let i = 0; i < n; i++) t += (mask >>> i) & 1 ? -x[i] : x[i];
      tally(t);
    }
  } else {
    total = nPermutations;
    const rng = new Rng(seed);
    for (let r = 0; r < nPermutations; r++) {
      let t = 0;
      let bits = 0;
      for (let i = 0; i < n; i++) {
        if ((i & 31) === 0) bits = rng.nextUint32();
        t += (bits >>> (i & 31)) & 1 ? -x[i] : x[i];
      }
      tally(t);
    }
  }
  const pl = exact ? less / total : (less + 1) / (total + 1);
  const pg = exact ? greater / total : (greater + 1) / (total + 1);
  return { observed, p: Math.min(1, 2 * Math.min(pl, pg)), exact, nPermutations: total, seed };
}
