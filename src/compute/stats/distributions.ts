/**
 * The only door to probability distributions: CDFs and quantiles come from @stdlib (well kept, tested against
 * R/Julia references), never hand-written here.
 */
import normalCdfStdlib from '@stdlib/stats-base-dists-normal-cdf';
import signrankCdfStdlib from '@stdlib/stats-base-dists-signrank-cdf';
import tCdfStdlib from '@stdlib/stats-base-dists-t-cdf';
import tQuantileStdlib from '@stdlib/stats-base-dists-t-quantile';

/** P(T <= x) for Student's t with `df` degrees of freedom. */
export function tCdf(x: number, df: number): number {
  return tCdfStdlib(x, df);
}

/** The p-quantile of Student's t with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return tQuantileStdlib(p, df);
}

/** P(Z <= x) for the standard normal. */
export function normalCdf(x: number): number {
  return normalCdfStdlib(x, 0, 1);
}

/** P(W+ <= x) for the Wilcoxon signed-rank statistic of n non-zero, untied differences (exact). */
export function signrankCdf(x: number, n: number): number {
  return signrankCdfStdlib(x, n);
}
