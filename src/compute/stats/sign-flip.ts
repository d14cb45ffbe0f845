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
  return signFlipTests([w], options)[0];
}

/**
 * signFlipTest of several statistics over the same n stimuli and the same sign vectors (one Rng stream for all:
 * each result equals signFlipTest of that statistic alone with the same options). A paired unit's pairs share
 * their ROI's seed, so drawing the signs once serves every pair.
 */
export function signFlipTests(ws: readonly ArrayLike<number>[], options: SignFlipOptions = {}): SignFlipResult[] {
  const nPermutations = options.nPermutations ?? 9999;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(nPermutations) && nPermutations > 0))
    throw new RangeError('nPermutations must be a positive integer');
  const xs = ws.map((w) => Float64Array.from(w));
  if (xs.some((x) => x.some((v) => !Number.isFinite(v)))) throw new RangeError('signFlipTest: non-finite value');
  const n = xs.length ? xs[0].length : 0;
  if (xs.some((x) => x.length !== n)) throw new RangeError('signFlipTests: statistics of different lengths');
  const tallies = xs.map((x) => new Tally(x));
  const exact = n <= MAX_EXACT_N && 2 ** n <= nPermutations;
  const total = exact ? 2 ** n : nPermutations;
  if (exact) {
    // Each sum is computed afresh (not by Gray-code updates) so that ties with T stay ties.
    for (let mask = 0; mask < total; mask++) {
      const words = [mask];
      for (const t of tallies) t.add(signedSum(t.x, words));
    }
  } else {
    const rng = new Rng(seed);
    const words = new Uint32Array(Math.ceil(n / 32));
    for (let r = 0; r < nPermutations; r++) {
      for (let b = 0; b < words.length; b++) words[b] = rng.nextUint32();
      for (const t of tallies) t.add(signedSum(t.x, words));
    }
  }
  return tallies.map((t) => {
    const pl = exact ? t.less / total : (t.less + 1) / (total + 1);
    const pg = exact ? t.greater / total : (t.greater + 1) / (total + 1);
    return { observed: t.observed, p: Math.min(1, 2 * Math.min(pl, pg)), exact, nPermutations: total, seed };
  });
}

/** Counts of resampled sums at or below, and at or above, the observed sum (within TOL of it). */
class Tally {
  readonly observed: number;
  private readonly gamma: number;
  less = 0;
  greater = 0;
  constructor(readonly x: Float64Array) {
    let observed = 0;
    for (let i = 0; i < x.length; i++) observed += x[i];
    this.observed = observed;
    this.gamma = Math.abs(TOL * observed);
  }
  add(t: number): void {
    if (t <= this.observed + this.gamma) this.less++;
    if (t >= this.observed - this.gamma) this.greater++;
  }
}

/**
 * sum_i s_i x_i with s_i = -1 where bit i of the words is set, else +1. Multiplying by the sign (exact for +-1)
 * instead of branching on a random bit avoids a mispredicted branch per term: measured 3x faster at NSD size.
 */
function signedSum(x: Float64Array, words: ArrayLike<number>): number {
  let t = 0;
  let i = 0;
  for (let b = 0; i < x.length; b++) {
    const bits = words[b];
    const end = Math.min(i + 32, x.length);
    for (let j = 0; i < end; j++, i++) t += x[i] * (1 - (((bits >>> j) & 1) << 1));
  }
  return t;
}
