/** The standard error of the mean, once: ridge fold means, metric fold scores and the t interval all use it. */
import { nanMean } from '../correlation';

/** Standard error of the mean of the finite values: sd (n-1 denominator) / sqrt(n); NaN when n < 2. */
export function nanSem(x: ArrayLike<number>): number {
  const m = nanMean(x);
  let ss = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) {
      ss += (x[i] - m) * (x[i] - m);
      n++;
    }
  }
  return n > 1 ? Math.sqrt(ss / (n - 1)) / Math.sqrt(n) : NaN;
}
