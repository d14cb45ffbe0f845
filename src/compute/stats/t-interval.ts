/**
 * Mean, SEM, Student-t confidence interval and one-sample t-test of a small sample (the K fold differences of
 * a cell, or the per-subject differences of a layer x ROI). Non-finite values are left out, as nanMean does.
 *
 * Cross-validation folds share training stimuli, so their scores are positively correlated and the plain
 * t interval over folds is too narrow (in bench/stats-coverage-ridge.ts it covered 87% at nominal 95%).
 * `correction` = n_test / n_train applies Nadeau & Bengio's (2003) corrected resampled t: the variance of the
 * mean is sd^2 (1/K + n_test/n_train) instead of sd^2 / K (same df = K - 1); that covered 95.7% there.
 */
import { nanMean } from '../correlation';
import { nanSem } from './sem';
import { tCdf, tQuantile } from './distributions';

export interface TSummary {
  /** Finite values used. */
  n: number;
  mean: number;
  /** Standard error of the mean: sd (n-1 denominator) * sqrt(1/n + correction); NaN when n < 2. */
  sem: number;
  df: number;
  /** Two-sided interval mean -/+ t_{(1+level)/2, n-1} * sem (NaN when n < 2). */
  lower: number;
  upper: number;
  level: number;
  /** One-sample t-test of mean = 0: t = mean / sem, two-sided p = 2 P(T_{n-1} >= |t|). */
  t: number;
  p: number;
  /** n_test / n_train of the Nadeau-Bengio correction (0: the plain t). */
  correction: number;
}

/**
 * Mean, SEM, t interval at `level` and one-sample t-test against 0 (scipy.stats.ttest_1samp semantics when
 * correction = 0).
 */
export function tSummary(x: ArrayLike<number>, level = 0.95, correction = 0): TSummary {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!(correction >= 0)) throw new RangeError(`correction must be >= 0, got ${correction}`);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) n++;
  // sd sqrt(1/n + c) = (sd / sqrt(n)) sqrt(1 + n c)
  const sem = n < 2 ? NaN : nanSem(x) * Math.sqrt(1 + n * correction);
  return withSem(n, nanMean(x), sem, n - 1, level, correction);
}

/** The interval and t-test of a mean whose standard error is `sem`, on df degrees of freedom (NaN: undefined). */
function withSem(n: number, mean: number, sem: number, df: number, level: number, correction: number): TSummary {
  if (Number.isNaN(sem) || df < 1)
    return { n, mean, sem: NaN, df, lower: NaN, upper: NaN, level, t: NaN, p: NaN, correction };
  const half = tQuantile((1 + level) / 2, df) * sem;
  // sem = 0: every value equal; t is +-Infinity (p = 0) unless the mean is 0 too (t undefined).
  const t = sem > 0 ? mean / sem : mean === 0 ? NaN : Math.sign(mean) * Infinity;
  const p = Number.isNaN(t) ? NaN : 2 * tCdf(-Math.abs(t), df);
  return { n, mean, sem, df, lower: mean - half, upper: mean + half, level, t, p, correction };
}

/**
 * The corrected resampled t for R repeats of K-fold (values repeat-major, K per repeat). Each repeat's own
 * corrected variance s_r^2 (1/K + correction) is averaged over the repeats and df = K - 1: repeats re-split the
 * same stimuli, so they get no credit as independent samples. Treating the K R values as independent (variance
 * factor 1/(K R) + correction, df K R - 1) rejected 11% of null cells at 5% with 5 repeats; this form 1.4%
 * (bench/results/stats-calibration.md, column candidatePerRepeat). With one repeat it is tSummary's corrected t.
 */
export function repeatedCorrectedT(x: ArrayLike<number>, repeats: number, level = 0.95, correction = 0): TSummary {
  const R = Math.max(1, Math.floor(repeats));
  if (R === 1 || x.length % R !== 0) return tSummary(x, level, correction);
  const K = x.length / R;
  const arr = Array.from(x);
  let varSum = 0;
  let counted = 0;
  for (let r = 0; r < R; r++) {
    const part = arr.slice(r * K, (r + 1) * K).filter(Number.isFinite);
    if (part.length < 2) continue;
    const sem = nanSem(part);
    varSum += sem * sem * part.length;
    counted++;
  }
  const sem = counted === 0 ? NaN : Math.sqrt((varSum / counted) * (1 / K + correction));
  return withSem(arr.filter(Number.isFinite).length, nanMean(arr), sem, K - 1, level, correction);
}
