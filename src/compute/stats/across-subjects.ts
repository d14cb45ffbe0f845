/**
 * One layer x ROI across subjects: the per-subject differences (b - a) summarised by their mean, SEM, t interval
 * and effect size dz = mean / sd (sd with n - 1), a one-sample t-test and a Wilcoxon signed-rank test against 0,
 * the count of subjects where b wins (difference > 0), loses (< 0) or ties, how many agree with the sign of the
 * mean, and the exact sign-flip test over subjects (the subject as the unit: under H0 each subject's difference
 * is symmetric about 0; all 2^n sign vectors of the sum, two-sided p as scipy.stats.permutation_test with
 * permutation_type='samples'). With n subjects that p cannot go below 2 / 2^n (0.125 for 4 subjects).
 * Non-finite differences are left out.
 */
import { signFlipTest } from './sign-flip';
import { type TSummary, tSummary } from './t-interval';
import { type WilcoxonResult, wilcoxonSignedRank } from './wilcoxon';

/** Exact enumeration of the subjects' sign vectors up to this many subjects (2^16 sums); beyond, seeded flips. */
export const MAX_EXACT_SUBJECTS = 16;
/** Random sign vectors (seed 0) beyond MAX_EXACT_SUBJECTS. */
const SUBJECT_FLIPS = 99_999;

export interface SubjectSignFlip {
  p: number;
  exact: boolean;
  /** Sign vectors evaluated: 2^n when exact. */
  nPermutations: number;
  /** The smallest p the test can give: 2 / 2^n when exact (every subject on one side), else 2 / (flips + 1). */
  minAttainableP: number;
}

export interface AcrossSubjects {
  summary: TSummary;
  /** Cohen's dz: mean / sd of the per-subject differences (NaN with fewer than 2 subjects or sd 0). */
  dz: number;
  wilcoxon: WilcoxonResult;
  signFlip: SubjectSignFlip;
  wins: number;
  losses: number;
  ties: number;
  /** Subjects whose difference has the sign of the mean (0 when the mean is 0). */
  agreeing: number;
}

/** Exact sign-flip test of the per-subject differences (finite values only) against 0. */
export function subjectSignFlip(differences: readonly number[]): SubjectSignFlip {
  const d = differences.filter(Number.isFinite);
  const n = d.length;
  if (n === 0) return { p: NaN, exact: true, nPermutations: 0, minAttainableP: NaN };
  const exact = n <= MAX_EXACT_SUBJECTS;
  const r = signFlipTest(d, { nPermutations: exact ? 2 ** n : SUBJECT_FLIPS, seed: 0 });
  const minAttainableP = Math.min(1, exact ? 2 / 2 ** n : 2 / (SUBJECT_FLIPS + 1));
  return { p: r.p, exact: r.exact, nPermutations: r.nPermutations, minAttainableP };
}

export function acrossSubjects(differences: ArrayLike<number>, level = 0.95): AcrossSubjects {
  const d = Array.from(differences).filter(Number.isFinite);
  const wins = d.filter((x) => x > 0).length;
  const losses = d.filter((x) => x < 0).length;
  const summary = tSummary(d, level);
  const sd = summary.sem * Math.sqrt(summary.n);
  const dz = summary.n > 1 && sd > 0 ? summary.mean / sd : NaN;
  const agreeing = summary.mean > 0 ? wins : summary.mean < 0 ? losses : 0;
  return {
    summary,
    dz,
    wilcoxon: wilcoxonSignedRank(d),
    signFlip: subjectSignFlip(d),
    wins,
    losses,
    ties: d.length - wins - losses,
    agreeing,
  };
}
