/**
 * From two cross-validated ridge fits of the same targets (e.g. a layer's neurons and its SAE latents, both run
 * with returnPredictions) to the paired cells of pairedCell, one per ROI. Both fits must share the fold
 * assignment and the kept targets (target dead-ness depends only on Y and the folds, so they do when Y and the
 * folds are the same). The test targets are rebuilt in the preset's target space exactly as fitRidgeCv builds
 * them (dead targets dropped, the whole-set transform, then the fold's training-statistics transform).
 */
import { foldIndices } from '../folds';
import { type DenseMatrix, takeCols } from '../matrix';
import { type RidgeCvOptions, type RidgeCvResult, type TargetGroup, fitRidgeCvGroups } from '../ridge/cv';
import type { CsrMatrix } from '../matrix';
import { PRESETS, groupTestTargets } from '../ridge/presets';
import type { ProgressFn } from '../../progress';
import type { HeldOutPredictions } from './bootstrap-scores';
import { type HeldOutFold, type PairedCell, type PairedCellOptions, pairedCell, pairedCells } from './paired';

/**
 * Every fold's held-out predictions of each fit and the test targets, over the kept targets (shared by all).
 * @param columns Y's columns that the fits' targets are (all of Y when omitted).
 */
export function ridgeHeldOutPredictions(
  Y: DenseMatrix<Float32Array>,
  fits: readonly RidgeCvResult[],
  columns?: Int32Array,
): { folds: HeldOutPredictions[]; kept: Int32Array } {
  const [a, ...rest] = fits;
  for (const b of rest) checkSameDesign(a, b);
  const kept = a.targets.kept;
  const spec = PRESETS[a.preset];
  const cols = columns ? Int32Array.from(kept, (k) => columns[k]) : kept;
  const all = cols.length === Y.cols && cols.every((c, i) => c === i);
  const folds = a.folds.map((fa, k) => {
    const preds = fits.map((f) => f.folds[k].predictions);
    if (preds.some((q) => !q)) throw new RangeError('both fits need returnPredictions');
    const { train, test } = foldIndices(a.assignment, fa.fold);
    return { preds: preds as DenseMatrix[], y: groupTestTargets(Y, all ? null : cols, spec, train, test, 'f64') };
  });
  return { folds, kept };
}

/** Throws unless the two fits share preset, score, folds and kept targets (so their predictions pair up). */
function checkSameDesign(a: RidgeCvResult, b: RidgeCvResult): void {
  if (a.preset !== b.preset) throw new RangeError(`presets differ: ${a.preset} and ${b.preset}`);
  if (a.score !== b.score) throw new RangeError(`scores differ: ${a.score} and ${b.score}`);
  if (a.assignment.length !== b.assignment.length || a.assignment.some((f, i) => f !== b.assignment[i])) {
    throw new RangeError('the two fits use different fold assignments');
  }
  const kept = a.targets.kept;
  if (kept.length !== b.targets.kept.length || kept.some((t, i) => t !== b.targets.kept[i])) {
    throw new RangeError('the two fits kept different targets');
  }
}

/** Every fold's held-out predictions of both fits and the test targets, over the kept targets. */
export function ridgeHeldOutFolds(
  Y: DenseMatrix<Float32Array>,
  a: RidgeCvResult,
  b: RidgeCvResult,
): { folds: HeldOutFold[]; kept: Int32Array } {
  const { folds, kept } = ridgeHeldOutPredictions(Y, [a, b]);
  return { folds: folds.map((f) => ({ a: f.preds[0], b: f.preds[1], y: f.y })), kept };
}

/**
 * The paired cell of two fits of the same targets (one ROI fitted on its own, as the alignment jobs do for the
 * paper presets, whose row LN and shared alpha are per ROI): Y is that ROI's columns.
 */
export function pairedFitCell(
  Y: DenseMatrix<Float32Array>,
  a: RidgeCvResult,
  b: RidgeCvResult,
  options: Omit<PairedCellOptions, 'kind'> = {},
): PairedCell {
  return pairedCell(ridgeHeldOutFolds(Y, a, b).folds, { ...options, kind: a.score });
}

/** The columns (positions among the kept targets) of an ROI given by original target indices. */
function roiColumns(kept: Int32Array, targets: ArrayLike<number>): number[] {
  const pos = new Map<number, number>();
  kept.forEach((t, i) => {
    pos.set(t, i);
  });
  const cols: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    const c = pos.get(targets[i]);
    if (c !== undefined) cols.push(c);
  }
  return cols;
}

export interface RoiTargets {
  name: string;
  /** Original target (voxel) indices of the ROI. */
  targets: ArrayLike<number>;
}

/**
 * pairedCell for every ROI of one fit over all targets (a ROI with no kept target gets null), as roiSummary
 * summarises such a fit: right for the encoding preset (no row LN, per-target alphas); for the paper presets
 * fit each ROI on its own and use pairedFitCell. Seeds: options.seed + ROI position, so each
 * cell's resamples are reproducible on their own.
 */
export function pairedRoiCells(
  Y: DenseMatrix<Float32Array>,
  a: RidgeCvResult,
  b: RidgeCvResult,
  rois: readonly RoiTargets[],
  options: Omit<PairedCellOptions, 'kind' | 'resamples'> = {},
): { roi: string; cell: PairedCell | null }[] {
  const { folds, kept } = ridgeHeldOutFolds(Y, a, b);
  const kind = a.score;
  return rois.map((r, i) => {
    const cols = roiColumns(kept, r.targets);
    if (cols.length === 0) return { roi: r.name, cell: null };
    const roiFolds = folds.map((f) => ({ a: takeCols(f.a, cols), b: takeCols(f.b, cols), y: takeCols(f.y, cols) }));
    return { roi: r.name, cell: pairedCell(roiFolds, { ...options, kind, seed: ((options.seed ?? 0) + i) >>> 0 }) };
  });
}

export interface PairedRidgeOptions extends Omit<RidgeCvOptions, 'returnPredictions' | 'onProgress'> {
  stats?: Omit<PairedCellOptions, 'kind' | 'resamples'>;
  onProgress?: ProgressFn;
}

/**
 * The paired cells of every target group (ROI) of two grouped fits of the same Y on the same folds
 * (fitRidgeCvGroups with returnPredictions, one per representation): group g's cell is pairedFitCell on that
 * group's columns, seeded stats.seed + g. Each group's predictions are dropped from both fits once its cell is
 * computed, so memory falls as the cells are done.
 */
export function pairedGroupCells(
  Y: DenseMatrix<Float32Array>,
  a: readonly RidgeCvResult[],
  b: readonly RidgeCvResult[],
  groups: readonly TargetGroup[],
  options: Omit<PairedCellOptions, 'kind' | 'resamples'> = {},
): PairedCell[] {
  return pairedGroupCellsOfPairs(Y, [a, b], [[0, 1]], groups, options)[0];
}

/**
 * pairedGroupCells of several pairs [i, j] of grouped fits (fits[i]: one representation's fitRidgeCvGroups
 * groups) at once: cells[pair][group], each equal to pairedGroupCells of that pair alone. Group-major, so that
 * each group's test targets, resamples, resampled fold scores, contributions and sign vectors are formed once for
 * all its pairs (pairedCells); each group's predictions are dropped from every fit once its cells are computed.
 */
export function pairedGroupCellsOfPairs(
  Y: DenseMatrix<Float32Array>,
  fits: readonly (readonly RidgeCvResult[])[],
  pairs: readonly (readonly [number, number])[],
  groups: readonly TargetGroup[],
  options: Omit<PairedCellOptions, 'kind' | 'resamples'> & { onGroup?: (done: number) => void } = {},
): PairedCell[][] {
  const { onGroup, ...stats } = options;
  for (const f of fits)
    if (f.length !== groups.length) throw new RangeError(`${groups.length} groups, a fit of ${f.length}`);
  const used = [...new Set(pairs.flat())].sort((x, y) => x - y);
  const cells: PairedCell[][] = pairs.map(() => []);
  if (pairs.length === 0) return cells;
  // The pairs as indices into the fits used (only those carry predictions).
  const local = pairs.map(([a, b]) => [used.indexOf(a), used.indexOf(b)] as const);
  groups.forEach((g, i) => {
    onGroup?.(i);
    const groupFits = used.map((q) => fits[q][i]);
    const { folds } = ridgeHeldOutPredictions(Y, groupFits, g.columns);
    const seed = ((stats.seed ?? 0) + i) >>> 0;
    const groupCells = pairedCells(folds, local, { ...stats, kind: groupFits[0].score, seed });
    for (const [k, c] of groupCells.entries()) cells[k].push(c);
    for (const r of groupFits) for (const f of r.folds) delete f.predictions;
  });
  return cells;
}

/**
 * Both representations' cross-validated ridge to every ROI with their held-out predictions, and the paired cell
 * per ROI. Each representation fits all ROIs over one decomposition per fold (fitRidgeCvGroups: results equal
 * fitting each ROI on its own, as the alignment jobs do); memory holds both representations' predictions of
 * every ROI at once (2 x stimuli x sum of ROI voxels float32) until each ROI's cell is computed. Returns both
 * fits (predictions dropped: their scores are what an alignment run stores) and the cell. Cell seeds:
 * stats.seed + ROI position.
 */
export function pairedRidgeRois(
  Xa: DenseMatrix | CsrMatrix,
  Xb: DenseMatrix | CsrMatrix,
  Y: DenseMatrix<Float32Array>,
  rois: readonly { name: string; columns: ArrayLike<number> }[],
  options: PairedRidgeOptions,
): { roi: string; a: RidgeCvResult; b: RidgeCvResult; cell: PairedCell }[] {
  const { stats, onProgress, ...ridge } = options;
  const groups = rois.map((r) => ({ name: r.name, columns: Int32Array.from(r.columns) }));
  const fit = (X: DenseMatrix | CsrMatrix, which: string) =>
    fitRidgeCvGroups(X, Y, groups, {
      ...ridge,
      returnPredictions: true,
      onProgress: (p) => onProgress?.({ ...p, stage: `${which}: ${p.stage}` }),
    }).groups;
  const a = fit(Xa, 'a');
  const b = fit(Xb, 'b');
  onProgress?.({ stage: 'paired statistics', done: 0, total: rois.length });
  const cells = pairedGroupCells(Y, a, b, groups, stats);
  return rois.map((r, i) => ({ roi: r.name, a: a[i], b: b[i], cell: cells[i] }));
}
