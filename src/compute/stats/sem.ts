/**
 * The standard error of the mean, once: ridge fold means, the metrics' fold scores, the t interval and the
 * dashboard's SAE-minus-neurons matrix all use it. No imports, so that the dashboard can bundle it.
 */

/** Standard error of the mean of the finite values: sd (n-1 denominator) / sqrt(n); NaN when n < 2. */
export function nanSem(x: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) {
      sum += x[i];
      n++;
    }
  }
  if (n < 2) return NaN;
  const m = sum / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) ss += (x[i] - m) * (x[i] - m);
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}
