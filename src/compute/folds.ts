/**
 * Cross-validation folds over stimuli.
 *
 * A fold assignment is an Int32Array with one fold index (0..K-1) per sample (row of X / Y).
 * `kFoldAssignment` reproduces scikit-learn's `KFold(n_splits=k, shuffle=True, random_state=seed)`
 * bit for bit, so a result computed here can be reproduced in Python and vice versa.
 */

/** Mersenne Twister MT19937 seeded like numpy's legacy `RandomState(seed)` for an integer seed (init_genrand). */
class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32 (Math.imul keeps the low 32 bits exactly).
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** genrand_int32: next 32-bit output. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy legacy `random_interval(max)`: uniform integer in [0, max] by masked rejection (max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }
}

/**
 * numpy `np.random.RandomState(seed).permutation(n)` for 1-d arange input
 * (Fisher-Yates from the end, j = random_interval(i)).
 */
export function numpyLegacyPermutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32 - 1] (numpy RandomState), got ${seed}`);
  }
  const rng = new Mt19937(seed);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.interval(i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/**
 * Fold index per sample, identical to scikit-learn `KFold(n_splits=k, shuffle=true, random_state=seed)`:
 * shuffle arange(n) with numpy's legacy RandomState(seed), then cut the shuffled order into k contiguous
 * blocks, the first n % k blocks one sample larger. Sample `perm[p]` gets the block index of position p.
 */
export function kFoldAssignment(n: number, k: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  if (k > n) throw new RangeError(`cannot split ${n} samples into ${k} folds (k must be <= n)`);
  const perm = numpyLegacyPermutation(n, seed);
  const base = Math.floor(n / k);
  const extra = n % k;
  const out = new Int32Array(n);
  let p = 0;
  for (let f = 0; f < k; f++) {
    const size = base + (f < extra ? 1 : 0);
    for (let s = 0; s < size; s++) out[perm[p++]] = f;
  }
  return out;
}

/**
 * Fold per sample from an explicit map stimulus id -> fold index.
 * @param ids stimulus id of every sample, in row order.
 * @param map fold per id (object keys are the ids written as decimal strings, or a Map keyed by number).
 * @param k number of folds, if known: every fold must then be in 0..k-1 and every fold must be non-empty.
 *          Without k, folds must be non-negative integers and K = max + 1 must leave no fold empty.
 * @throws Error naming the offending id when an id has no fold or its fold is not a valid index.
 */
export function assignmentFromMap(
  ids: ArrayLike<number>,
  map: Record<string, number> | Map<number, number>,
  k?: number,
): Int32Array {
  if (k !== undefined && (!Number.isInteger(k) || k < 2)) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  const lookup = (id: number): number | undefined =>
    map instanceof Map ? map.get(id) : Object.hasOwn(map, String(id)) ? map[String(id)] : undefined;
  const out = new Int32Array(ids.length);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    const fold = lookup(id);
    if (fold === undefined) throw new Error(`fold assignment: stimulus id ${id} (row ${r}) has no fold in the map`);
    if (!Number.isInteger(fold) || fold < 0) {
      throw new Error(`fold assignment: stimulus id ${id} (row ${r}) has fold ${fold}; folds must be integers >= 0`);
    }
    if (k !== undefined && fold >= k) {
      throw new Error(
        `fold assignment: stimulus id ${id} (row ${r}) has fold ${fold}; with k = ${k} folds must be 0..${k - 1}`,
      );
    }
    out[r] = fold;
  }
  const count = k ?? foldCount(out);
  const sizes = new Int32Array(count);
  for (let r = 0; r < out.length; r++) sizes[out[r]]++;
  for (let f = 0; f < count; f++) {
    if (sizes[f] === 0)
      throw new Error(`fold assignment: fold ${f} of ${count} has no stimuli among the ${ids.length} given`);
  }
  if (count < 2) throw new Error(`fold assignment: need at least 2 folds, got ${count}`);
  return out;
}

/** Number of folds K = max fold index + 1 (0 for an empty assignment). */
export function foldCount(assignment: Int32Array): number {
  let max = -1;
  for (let i = 0; i < assignment.length; i++) if (assignment[i] > max) max = assignment[i];
  return max + 1;
}

/** Row indices (ascending) of the training part (every other fold) and the test part (this fold). */
export function foldIndices(assignment: Int32Array, fold: number): { train: Int32Array; test: Int32Array } {
  let nTest = 0;
  for (let i = 0; i < assignment.length; i++) if (assignment[i] === fold) nTest++;
  const test = new Int32Array(nTest);
  const train = new Int32Array(assignment.length - nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < assignment.length; i++) {
    if (assignment[i] === fold) test[a++] = i;
    else train[b++] = i;
  }
  return { train, test };
}

/** How KFold orders the stimuli before shuffling (see kFoldAssignmentOrdered). */
export type FoldOrder = 'nsdId' | 'activations' | 'subject';

/** What each order's `orderIds` are, for messages. */
const ORDER_SOURCE: Record<Exclude<FoldOrder, 'nsdId'>, string> = {
  activations: 'has no row in the activation file',
  subject: "is not among the subject's images",
};

/**
 * Fold per evaluated stimulus (in the order of `evaluatedIds`), KFold(n_splits=k, shuffle=True, random_state=seed):
 * - 'nsdId' (this project's default): over the evaluated stimuli in ascending id order, so that the folds do
 *   not depend on how an activation file happens to be ordered;
 * - 'activations': over the evaluated stimuli in the order their rows appear in the activation file
 *   (`orderIds`: the file's ids in row order);
 * - 'subject' (the authors: align-interp voxel_utils.py at 96006be indexes the activations by the subject's image
 *   list, `dnn_acts[subj_coco_ids]`, the row order of their per-subject response file, and utils.py
 *   RidgeRegression splits those rows, `KFold(n_splits=5, shuffle=True, random_state=42).split(X)`): over the
 *   evaluated stimuli in the subject's image order (`orderIds`: nsd/subject-betas.ts subjectImageOrder, the order
 *   of first presentation).
 * Ids of `orderIds` that are not evaluated are skipped; repeats count once.
 * @throws when an evaluated id is not in `orderIds`.
 */
export function kFoldAssignmentOrdered(
  evaluatedIds: ArrayLike<number>,
  orderIds: ArrayLike<number>,
  k: number,
  seed: number,
  order: FoldOrder,
): Int32Array {
  const n = evaluatedIds.length;
  const sorted = Array.from(evaluatedIds).sort((a, b) => a - b);
  let ordered: number[];
  if (order === 'nsdId') ordered = sorted;
  else {
    const wanted = new Set(sorted);
    ordered = [];
    const seen = new Set<number>();
    for (let r = 0; r < orderIds.length; r++) {
      const id = orderIds[r];
      if (wanted.has(id) && !seen.has(id)) ordered.push(id), seen.add(id);
    }
    if (ordered.length !== wanted.size) {
      const missing = sorted.find((id) => !seen.has(id));
      throw new Error(`fold order '${order}': stimulus id ${missing} ${ORDER_SOURCE[order]}`);
    }
  }
  const folds = kFoldAssignment(ordered.length, k, seed);
  const foldOf = new Map<number, number>();
  ordered.forEach((id, i) => {
    foldOf.set(id, folds[i]);
  });
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = foldOf.get(evaluatedIds[i])!;
  return out;
}
