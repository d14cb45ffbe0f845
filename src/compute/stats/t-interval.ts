/**
 * Mean, SEM, Student-t confidence interval and one-sample t-test of a small sample (the K fold differences of
 * a cell, or the per-subject differences of a layer x ROI). Non-finite values are left out, as nanMean does.
 */
import { nanMean, nanSem } from '../correlation';
import { tCdf, tQuantile } from './distributions';

export interface TSummary {
  /** Finite values used. */
  n: number;
  mean: number;
  /** sd (n-1 denominator) / sqrt(n); NaN when n < 2. */
  sem: number;
  df: number;
  /** Two-sided interval mean -/+ t_{(1+level)/2, n-1} * sem (NaN when n < 2). */
  lower: number;
  upper: number;
  level: number;
  /** One-sample t-test of mean = 0: t = mean / sem, two-sided p = 2 P(T_{n-1} >= |t|). */
  t: number;
  p: number;
}

function finiteCount(x: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) n++;
  return n;
}

/** Mean, SEM, t interval at `level` and one-sample t-test against 0 (scipy.stats.ttest_1samp semantics). */
export function tSummary(x: ArrayLike<number>, level = 0.95): TSummary {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const n = finiteCount(x);
  const mean = nanMean(x);
  const sem = nanSem(x);
  const df = n - 1;
  if (n < 2) return { n, mean, sem, df, lower: NaN, upper: NaN, level, t: NaN, p: NaN };
  const half = tQuantile((1 + level) / 2, df) * sem;
  // sem = 0: every value equal; t is +-Infinity (p = 0) unless the mean is 0 too (t undefined).
  const t = sem > 0 ? mean / sem : mean === 0 ? NaN : Math.sign(mean) * Infinity;
  const p = Number.isNaN(t) ? NaN : 2 * tCdf(-Math.abs(t), df);
  return { n, mean, sem, df, lower: mean - half, upper: mean + half, level, t, p };
}
