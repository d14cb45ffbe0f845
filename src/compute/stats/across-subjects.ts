/**
 * One layer x ROI across subjects: the per-subject differences (b - a) summarised by their mean, SEM and
 * t interval, a one-sample t-test and a Wilcoxon signed-rank test against 0, and the count of subjects where b
 * wins (difference > 0), loses (< 0) or ties.
 */
import { type TSummary, tSummary } from './t-interval';
import { type WilcoxonResult, wilcoxonSignedRank } from './wilcoxon';

export interface AcrossSubjects {
  summary: TSummary;
  wilcoxon: WilcoxonResult;
  wins: number;
  losses: number;
  ties: number;
}

export function acrossSubjects(differences: ArrayLike<number>, level = 0.95): AcrossSubjects {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (let i = 0; i < differences.length; i++) {
    const d = differences[i];
    if (!Number.isFinite(d)) continue;
    if (d > 0) wins++;
    else if (d < 0) losses++;
    else ties++;
  }
  return { summary: tSummary(differences, level), wilcoxon: wilcoxonSignedRank(differences), wins, losses, ties };
}
