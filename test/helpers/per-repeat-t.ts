/**
 * Reference for the headline over R repeats of K-fold, written out from its definition (README "Statistics"):
 * mean over all K R fold differences; variance = each repeat's sample variance (n - 1) averaged, times
 * (1/K + n_test/n_train); df K - 1. The t distribution is @stdlib's (checked against scipy in stats-library).
 */
import { tCdf, tQuantile } from '../../src/compute/stats/distributions';

export function perRepeatCorrectedT(d: readonly number[], repeats: number, correction: number) {
  const K = d.length / repeats;
  let variance = 0;
  for (let r = 0; r < repeats; r++) {
    const x = d.slice(r * K, (r + 1) * K);
    const m = x.reduce((a, v) => a + v, 0) / K;
    variance += x.reduce((a, v) => a + (v - m) ** 2, 0) / (K - 1) / repeats;
  }
  const mean = d.reduce((a, v) => a + v, 0) / d.length;
  const sem = Math.sqrt(variance * (1 / K + correction));
  const half = tQuantile(0.975, K - 1) * sem;
  return { mean, sem, df: K - 1, lower: mean - half, upper: mean + half, p: 2 * tCdf(-Math.abs(mean / sem), K - 1) };
}
