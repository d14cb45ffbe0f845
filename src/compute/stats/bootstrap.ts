/**
 * Paired bootstrap over held-out stimuli. A resample draws, within every fold, as many of that fold's test
 * stimuli as it has, uniformly with replacement; both representations are scored on the same draw, so the
 * difference keeps its pairing. The resamples come from one seeded Rng stream (random.ts) in a fixed order
 * (resample 0 fold 0 row 0, ..., resample 0 fold K-1, resample 1 ...), so {seed, nResamples, foldSizes}
 * regenerates every index: that triple is what a result stores, not the indices themselves.
 */
import { Rng } from '../random';

/** One resample: per fold, indices into that fold's test rows (0..nTest-1, repeats allowed). */
export type Resample = Int32Array[];

/** The resamples of {seed, nResamples, foldSizes}, generated lazily in the documented order. */
export function* bootstrapResamples(
  foldSizes: readonly number[],
  nResamples: number,
  seed: number,
): Generator<Resample> {
  if (!(Number.isInteger(nResamples) && nResamples > 0)) throw new RangeError('nResamples must be a positive integer');
  const rng = new Rng(seed);
  for (let r = 0; r < nResamples; r++) {
    yield foldSizes.map((m) => {
      const idx = new Int32Array(m);
      for (let i = 0; i < m; i++) idx[i] = rng.int(m);
      return idx;
    });
  }
}

/** Empirical quantile with linear interpolation between order statistics (numpy.percentile's default). */
export function empiricalQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface BootstrapInterval {
  /** Percentile interval at `level` of the finite replicates. */
  lower: number;
  upper: number;
  level: number;
  /** Standard deviation (n-1) of the finite replicates. */
  se: number;
  /** Replicates in resample order (NaN where the statistic was undefined on a resample). */
  replicates: Float64Array;
}

/** Percentile interval and bootstrap SE of replicates. */
export function percentileInterval(replicates: Float64Array, level = 0.95): BootstrapInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const fin = Float64Array.from(replicates.filter(Number.isFinite)).sort();
  let m = 0;
  for (const v of fin) m += v;
  m /= fin.length;
  let ss = 0;
  for (const v of fin) ss += (v - m) * (v - m);
  return {
    lower: empiricalQuantile(fin, (1 - level) / 2),
    upper: empiricalQuantile(fin, (1 + level) / 2),
    level,
    se: fin.length > 1 ? Math.sqrt(ss / (fin.length - 1)) : NaN,
    replicates,
  };
}
