/**
 * Multiple-comparison adjustments across the cells of a study. NaN p-values stay NaN and do not count in m.
 * - Benjamini-Hochberg q-values: q_(i) = min_{j >= i} min(1, m p_(j) / j) over the ascending p_(1..m)
 *   (what scipy.stats.false_discovery_control(p, method='bh') returns).
 * - Holm adjusted p: p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) (step-down, family-wise error).
 */

function finiteOrder(p: ArrayLike<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (Number.isFinite(p[i])) {
      if (p[i] < 0 || p[i] > 1) throw new RangeError(`p-value ${p[i]} at ${i} is outside [0, 1]`);
      idx.push(i);
    }
  }
  return idx.sort((u, v) => p[u] - p[v]);
}

/** Benjamini-Hochberg q-values, same order as `p`. */
export function bhQValues(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length).fill(NaN);
  const order = finiteOrder(p);
  const m = order.length;
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, (m * p[order[k]]) / (k + 1));
    out[order[k]] = running;
  }
  return out;
}

/** Holm step-down adjusted p-values, same order as `p`. */
export function holmAdjusted(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length).fill(NaN);
  const order = finiteOrder(p);
  const m = order.length;
  let running = 0;
  for (let k = 0; k < m; k++) {
    running = Math.max(running, Math.min(1, (m - k) * p[order[k]]));
    out[order[k]] = running;
  }
  return out;
}
