/**
 * Deterministic TopK selection on CPU arrays, shared by encoding, evaluation and training.
 * Rule: the k largest values of a row; among values equal to the k-th largest, the lowest indices win.
 * (tf.topk does not document its tie order, so the library never relies on it.) Values must not be NaN.
 */

/**
 * The k-th largest value of a[0..n) (1 <= k <= n), found by quickselect with a three-way partition
 * (linear on average, also on rows full of equal values). `scratch` (length >= n) is overwritten.
 */
export function kthLargest(a: Float32Array, n: number, k: number, scratch: Float32Array, offset = 0): number {
  for (let i = 0; i < n; i++) scratch[i] = a[offset + i];
  let lo = 0;
  let hi = n - 1;
  const target = k - 1; // position in descending order
  while (true) {
    if (lo === hi) return scratch[lo];
    // median of three as pivot (deterministic)
    const mid = (lo + hi) >>> 1;
    const x = scratch[lo];
    const y = scratch[mid];
    const z = scratch[hi];
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // Dutch-flag partition into [> pivot][== pivot][< pivot]
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = scratch[i];
      if (v > pivot) {
        scratch[i] = scratch[lt];
        scratch[lt] = v;
        lt++;
        i++;
      } else if (v < pivot) {
        scratch[i] = scratch[gt];
        scratch[gt] = v;
        gt--;
      } else {
        i++;
      }
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
}

/**
 * Indices (0..n-1) of the k largest entries of row[offset .. offset + n), in ascending index order, written to
 * out[0..count). Ties at the k-th value: lowest indices first. Returns count = min(k, n).
 */
export function topKIndices(
  row: Float32Array,
  n: number,
  k: number,
  out: Int32Array,
  scratch: Float32Array,
  offset = 0,
): number {
  if (k <= 0 || n === 0) return 0;
  if (k >= n) {
    for (let j = 0; j < n; j++) out[j] = j;
    return n;
  }
  if (k <= 16) return smallTopK(row, n, k, out, scratch, offset);
  const t = kthLargest(row, n, k, scratch, offset);
  let greater = 0;
  for (let j = 0; j < n; j++) if (row[offset + j] > t) greater++;
  let equalLeft = k - greater;
  let c = 0;
  for (let j = 0; j < n; j++) {
    const v = row[offset + j];
    if (v > t) out[c++] = j;
    else if (v === t && equalLeft > 0) {
      out[c++] = j;
      equalLeft--;
    }
  }
  return c;
}

/**
 * Small k (the toy's k = 7 of 64): one pass keeping the k best in a sorted list (value descending, a later index
 * never displaces an equal earlier one, so ties go to the lowest indices), then the indices in ascending order.
 */
function smallTopK(
  row: Float32Array,
  n: number,
  k: number,
  out: Int32Array,
  vals: Float32Array,
  offset: number,
): number {
  let c = 0;
  for (let j = 0; j < n; j++) {
    const v = row[offset + j];
    if (c === k && !(v > vals[k - 1])) continue;
    let p = c < k ? c++ : k - 1;
    while (p > 0 && vals[p - 1] < v) {
      vals[p] = vals[p - 1];
      out[p] = out[p - 1];
      p--;
    }
    vals[p] = v;
    out[p] = j;
  }
  // ascending index order (insertion sort of k entries)
  for (let i = 1; i < k; i++) {
    const x = out[i];
    let p = i;
    while (p > 0 && out[p - 1] > x) (out[p] = out[p - 1]), p--;
    out[p] = x;
  }
  return k;
}
