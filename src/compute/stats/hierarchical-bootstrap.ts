/**
 * Two-level (hierarchical) bootstrap of the mean over subjects of a per-subject difference (b - a): each
 * resample draws n subjects uniformly with replacement and, for every drawn subject, one resample of that
 * subject's held-out stimuli, whose recomputed difference replaces the subject's own. The stimulus level uses the
 * subject's stored stimulus-bootstrap replicates (the conditional bootstrap of paired.ts: the cell difference
 * rescored on fold-stratified resamples of the held-out stimuli, seeded): drawing one of them uniformly is drawing
 * a fresh stimulus resample of that subject, restricted to the R resamples the study job made.
 *
 * Draw order (one seeded Rng stream, random.ts): resample 0: subject draw 0, its replicate draw, subject draw 1,
 * its replicate draw, ...; then resample 1. Non-finite replicates are left out before drawing.
 *
 * Interval: percentile interval of the resampled means (numpy.percentile's linear interpolation). p: two-sided,
 * from the bootstrap distribution centred under the null (Hall & Wilson 1991): T*_b = mean*_b - mean, and
 * p = (1 + #{|T*_b| >= |mean|}) / (B + 1), so it cannot go below 1 / (B + 1).
 *
 * Why this is an option and not the headline across subjects (the exact sign-flip over subjects is): with 4
 * subjects the subject level has only 4^4 = 256 equally likely ordered draws (35 distinct multisets), so the
 * bootstrap distribution of the mean is coarse and too narrow (it estimates the spread with divisor n, not n - 1,
 * and percentile intervals under-cover at small n); the stimulus level is conditional on the fitted models (it
 * ignores refitting) and adds the within-subject variance a second time on top of the subjects' observed spread,
 * which already contains it (Davison & Hinkley 1997, section 3.8). Its calibration is measured in
 * bench/stats-calibration.ts rather than assumed.
 */
import { Rng } from '../random';
import { percentileInterval } from './bootstrap';

/** One subject: its observed difference and the difference recomputed on each stimulus resample. */
export interface SubjectReplicates {
  difference: number;
  replicates: ArrayLike<number>;
}

/** The indices of B two-level resamples, B x n row-major each. */
export interface HierarchicalDraws {
  /** Drawn subject (0..n-1) per resample and position. */
  subjects: Int32Array;
  /** Index into the drawn subject's finite replicates. */
  replicates: Int32Array;
}

export interface HierarchicalBootstrapOptions {
  /** Resamples B (default 2000). */
  nResamples?: number;
  /** Seed of the draws (default 0). */
  seed?: number;
  level?: number;
  /** Explicit draws (e.g. from a fixture) instead of those of {seed, nResamples}. */
  draws?: HierarchicalDraws;
}

export interface HierarchicalBootstrap {
  /** Observed mean over subjects of the differences. */
  mean: number;
  lower: number;
  upper: number;
  level: number;
  /** Standard deviation (B - 1) of the resampled means. */
  se: number;
  /** Two-sided p of mean = 0 from the null-centred bootstrap distribution. */
  p: number;
  /** 1 / (B + 1). */
  minAttainableP: number;
  nResamples: number;
  seed: number | null;
  nSubjects: number;
  /** Equally likely ordered subject draws: n^n. */
  subjectDraws: number;
}

/** The draws of {seed, nResamples} for subjects with these numbers of finite replicates, in the documented order. */
export function hierarchicalDraws(
  replicateCounts: readonly number[],
  nResamples: number,
  seed: number,
): HierarchicalDraws {
  if (!(Number.isInteger(nResamples) && nResamples > 0)) throw new RangeError('nResamples must be a positive integer');
  const n = replicateCounts.length;
  const rng = new Rng(seed);
  const subjects = new Int32Array(nResamples * n);
  const replicates = new Int32Array(nResamples * n);
  for (let o = 0; o < nResamples * n; o++) {
    const s = rng.int(n);
    subjects[o] = s;
    replicates[o] = rng.int(replicateCounts[s]);
  }
  return { subjects, replicates };
}

/**
 * The hierarchical bootstrap of the mean difference over subjects; null with fewer than 2 subjects (there is no
 * subject level to resample) or when a subject has no finite difference or no finite replicate.
 */
export function hierarchicalBootstrap(
  subjects: readonly SubjectReplicates[],
  options: HierarchicalBootstrapOptions = {},
): HierarchicalBootstrap | null {
  const n = subjects.length;
  const reps = subjects.map((s) => Float64Array.from(Array.from(s.replicates).filter(Number.isFinite)));
  if (n < 2 || subjects.some((s, j) => !Number.isFinite(s.difference) || reps[j].length === 0)) return null;
  const seed = options.seed ?? 0;
  const draws =
    options.draws ??
    hierarchicalDraws(
      reps.map((r) => r.length),
      options.nResamples ?? 2000,
      seed,
    );
  const B = draws.subjects.length / n;
  if (!Number.isInteger(B) || B < 1 || draws.replicates.length !== draws.subjects.length)
    throw new RangeError(`draws of ${draws.subjects.length} and ${draws.replicates.length} indices for ${n} subjects`);
  let total = 0;
  for (const s of subjects) total += s.difference;
  const mean = total / n;
  const means = new Float64Array(B);
  let extreme = 0;
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const o = b * n + j;
      const r = reps[draws.subjects[o]];
      const i = draws.replicates[o];
      if (!(i >= 0 && i < r.length)) throw new RangeError(`replicate draw ${i} outside 0..${r.length - 1}`);
      sum += r[i];
    }
    means[b] = sum / n;
    if (Math.abs(means[b] - mean) >= Math.abs(mean)) extreme++;
  }
  const ci = percentileInterval(means, options.level ?? 0.95);
  return {
    mean,
    lower: ci.lower,
    upper: ci.upper,
    level: ci.level,
    se: ci.se,
    p: (1 + extreme) / (B + 1),
    minAttainableP: 1 / (B + 1),
    nResamples: B,
    seed: options.draws ? null : seed,
    nSubjects: n,
    subjectDraws: n ** n,
  };
}
