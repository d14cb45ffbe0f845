/**
 * Choosing a source among candidates (e.g. several SAEs of one layer) without looking at the test stimuli
 * (issue 21 item 8): per outer fold, an inner K-fold over that fold's TRAINING stimuli fits every candidate by
 * the same ridge (preset, alphas, groups) and scores it by the mean over groups (ROIs) of its inner CV mean
 * score; the candidate with the best score is the one whose outer fit predicts that fold's test stimuli. The
 * outer test stimuli never enter the choice: they are not among the rows the inner fits see.
 * Cost: outer folds x candidates x inner folds decompositions on ~(K-1)/K of the rows, plus the outer fits of the
 * candidates chosen at least once (fitSelected).
 */
import { nanMean } from '../correlation';
import { foldCount, foldIndices, kFoldAssignment } from '../folds';
import { type CsrMatrix, type DenseMatrix, isCsr, takeCsrRows, takeRows } from '../matrix';
import { composeFolds, fitRidgeCvGroups, type RidgeCvGroupsResult, type RidgeCvOptions, type TargetGroup } from './cv';

export interface InnerCvSpec {
  /** Inner folds over each outer fold's training stimuli (KFold, shuffled with seed). */
  innerFolds: number;
  seed: number;
}

export interface InnerCvSelection {
  method: 'inner-cv';
  innerFolds: number;
  seed: number;
  /** Per outer fold: index of the chosen candidate (ties: the first listed). */
  chosen: number[];
  /** Per outer fold, per candidate: mean over groups of the inner CV mean score (NaN where the inner fit failed). */
  innerScores: number[][];
  /** Seconds of the inner fits, and of the outer fits of the chosen candidates. */
  seconds: { inner: number; outer: number };
  /** Decompositions of the inner fits. */
  innerDecompositions: number;
}

type Source = DenseMatrix | CsrMatrix;

const rowsOf = (X: Source, idx: Int32Array): Source => (isCsr(X) ? takeCsrRows(X, idx) : takeRows(X, idx));

/** The inner CV scores of every candidate in every outer fold of options.assignment, and the choices. */
export function selectByInnerCv(
  candidates: readonly Source[],
  Y: DenseMatrix<Float32Array>,
  groups: readonly TargetGroup[],
  options: RidgeCvOptions,
  spec: InnerCvSpec,
): InnerCvSelection {
  const t0 = performance.now();
  const K = foldCount(options.assignment);
  const chosen: number[] = [];
  const innerScores: number[][] = [];
  let innerDecompositions = 0;
  const inner = { ...options, noiseCeiling: undefined, unitWeights: false, returnPredictions: false };
  for (let f = 0; f < K; f++) {
    const { train } = foldIndices(options.assignment, f);
    const assignment = kFoldAssignment(train.length, spec.innerFolds, spec.seed);
    const Ytr = takeRows(Y, train);
    const scores = candidates.map((X, c) => {
      options.onProgress?.({ stage: `inner CV fold ${f + 1}/${K}, candidate ${c + 1}`, done: f, total: K });
      try {
        const r = fitRidgeCvGroups(rowsOf(X, train), Ytr, groups, { ...inner, assignment, onProgress: undefined });
        innerDecompositions += r.decompositions;
        return nanMean(r.groups.map((g) => g.mean));
      } catch (err) {
        if (err instanceof RangeError) return NaN; // e.g. no live units in an inner fold: this candidate cannot win
        throw err;
      }
    });
    let best = -1;
    for (let c = 0; c < scores.length; c++)
      if (Number.isFinite(scores[c]) && (best < 0 || scores[c] > scores[best])) best = c;
    if (best < 0) throw new RangeError(`inner CV: no candidate could be scored in outer fold ${f}`);
    chosen.push(best);
    innerScores.push(scores);
  }
  const seconds = { inner: (performance.now() - t0) / 1000, outer: 0 };
  return {
    method: 'inner-cv',
    innerFolds: spec.innerFolds,
    seed: spec.seed,
    chosen,
    innerScores,
    seconds,
    innerDecompositions,
  };
}

/**
 * Cross-validated ridge of the selected source: the choice by inner CV, then the outer fit of each candidate chosen
 * at least once, each group's fold f taken from the candidate chosen for fold f (composeFolds).
 */
export function fitSelected(
  candidates: readonly Source[],
  Y: DenseMatrix<Float32Array>,
  groups: readonly TargetGroup[],
  options: RidgeCvOptions,
  spec: InnerCvSpec,
): RidgeCvGroupsResult & { selection: InnerCvSelection } {
  const selection = selectByInnerCv(candidates, Y, groups, options, spec);
  const t0 = performance.now();
  const fits: RidgeCvGroupsResult[] = [];
  for (const c of new Set(selection.chosen)) fits[c] = fitRidgeCvGroups(candidates[c], Y, groups, options);
  selection.seconds.outer = (performance.now() - t0) / 1000;
  const used = [...new Set(selection.chosen)];
  const composed = groups.map((g, i) =>
    composeFolds(
      fits.map((r) => r?.groups[i]),
      selection.chosen,
      g.columns,
      options,
    ),
  );
  const timings = { ...fits[used[0]].timings };
  for (const c of used.slice(1))
    for (const k of Object.keys(timings) as (keyof typeof timings)[]) timings[k] += fits[c].timings[k];
  const decompositions = used.reduce((a, c) => a + fits[c].decompositions, 0);
  return { groups: composed, timings, decompositions, selection };
}
