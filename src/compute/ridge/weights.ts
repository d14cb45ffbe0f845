/**
 * Ridge weights per source unit over an ROI (issue item 11; the authors' surrogate-SAE analysis reads the
 * fitted coefficients: align-interp utils.py RidgeRegression (96006be) returns every fold's predictor.coef_,
 * and plot_utils.py dnn_brain_linreg_interp takes per unit np.linalg.norm(coeffs[:, unit]) over the voxels).
 * - 'meanAbs' (default): mean over the ROI's voxels of |beta|, comparable across ROIs of different sizes;
 * - 'l2': the authors' magnitude, sqrt(sum over the ROI's voxels of beta^2).
 * ridgeWeightsSummary reads scikit-learn's coef_ layout (targets x units, one matrix per fold);
 * ridgeFoldUnitWeights computes the same per-unit statistics from a fold's factorised fit without ever holding
 * all of units x targets at once.
 */
import { matmul } from '../linalg/matmul';
import type { DenseMatrix } from '../matrix';
import { type Source, sourceTransTimes } from './source';

export type WeightsStat = 'meanAbs' | 'l2';

export interface RidgeWeightsSummary {
  /** Per fold: one value per source unit. */
  perFold: Float64Array[];
  /** Mean over folds, per source unit. */
  mean: Float64Array;
}

/** Adds |c| (meanAbs) or c^2 (l2) of every coefficient into its unit's slot. */
function addMagnitude(out: Float64Array, unit: number, c: number, stat: WeightsStat): void {
  out[unit] += stat === 'l2' ? c * c : Math.abs(c);
}

/** The accumulated sums -> the statistic over `nTargets` targets. */
function finish(out: Float64Array, nTargets: number, stat: WeightsStat): Float64Array {
  for (let u = 0; u < out.length; u++) out[u] = stat === 'l2' ? Math.sqrt(out[u]) : out[u] / nTargets;
  return out;
}

/** Per-fold statistics -> {perFold, mean over folds}. */
export function summariseFolds(perFold: Float64Array[]): RidgeWeightsSummary {
  if (perFold.length === 0) throw new RangeError('ridge weights: no folds');
  const nUnits = perFold[0].length;
  const mean = new Float64Array(nUnits);
  for (const f of perFold) for (let u = 0; u < nUnits; u++) mean[u] += f[u] / perFold.length;
  return { perFold, mean };
}

export function ridgeWeightsSummary(
  coefs: ArrayLike<number>[],
  nTargets: number,
  nUnits: number,
  roiTargets: ArrayLike<number>,
  stat: WeightsStat = 'meanAbs',
): RidgeWeightsSummary {
  if (coefs.length === 0) throw new RangeError('ridge weights: no folds');
  if (roiTargets.length === 0) throw new RangeError('ridge weights: the ROI has no voxels');
  const perFold = coefs.map((c, f) => {
    if (c.length !== nTargets * nUnits)
      throw new RangeError(`ridge weights: fold ${f} has ${c.length} coefficients, expected ${nTargets} x ${nUnits}`);
    const out = new Float64Array(nUnits);
    for (let i = 0; i < roiTargets.length; i++) {
      const t = roiTargets[i];
      if (!(t >= 0 && t < nTargets)) throw new RangeError(`ridge weights: target ${t} outside 0..${nTargets - 1}`);
      const o = t * nUnits;
      for (let u = 0; u < nUnits; u++) addMagnitude(out, u, c[o + u], stat);
    }
    return finish(out, roiTargets.length, stat);
  });
  return summariseFolds(perFold);
}

/** Coefficients computed at once, at most (units x block of targets): 2^24 float64 = 128 MiB. */
const BLOCK_ENTRIES = 2 ** 24;

/**
 * One fold's per-unit statistics of the ridge coefficients over all targets of a fit, from its factorisation
 * (basis.ts): with the training design X = U S V', beta = V diag(s / (s2 + alpha)) U'Y = X' U diag(1 / (s2 + alpha)) B
 * for B = U'Y (q x targets), in either form. Targets are processed in blocks (memory: units x block), each with
 * its own alpha (alphaIdx per target); both statistics come from the same blocks. beta is in the preset's
 * transformed space (scikit-learn's coef_ after the same transforms; an intercept is not a unit weight).
 * @param train the fold's training design (transformed), n_train x units.
 */
export function ridgeFoldUnitWeights(
  train: Source,
  U: DenseMatrix,
  s2: Float64Array,
  B: DenseMatrix,
  alphas: readonly number[],
  alphaIdx: Int32Array,
): Record<WeightsStat, Float64Array> {
  const q = s2.length;
  const v = B.cols;
  const p = train.kind === 'dense' ? train.x.cols : train.s.cols;
  const out: Record<WeightsStat, Float64Array> = { meanAbs: new Float64Array(p), l2: new Float64Array(p) };
  const block = Math.max(1, Math.min(v, Math.floor(BLOCK_ENTRIES / Math.max(p, U.rows))));
  for (let t0 = 0; t0 < v; t0 += block) {
    const b = Math.min(block, v - t0);
    const Bs = new Float64Array(q * b); // diag(1 / (s2 + alpha_t)) B[:, t]
    for (let j = 0; j < q; j++) {
      for (let c = 0; c < b; c++) Bs[j * b + c] = B.data[j * v + t0 + c] / (s2[j] + alphas[alphaIdx[t0 + c]]);
    }
    const M = matmul(U, { rows: q, cols: b, data: Bs }, { precision: 'f64' }); // n_train x b
    const beta = sourceTransTimes(train, M).data; // units x b
    for (let u = 0; u < p; u++) {
      for (let c = 0; c < b; c++) {
        addMagnitude(out.meanAbs, u, beta[u * b + c], 'meanAbs');
        addMagnitude(out.l2, u, beta[u * b + c], 'l2');
      }
    }
  }
  return { meanAbs: finish(out.meanAbs, v, 'meanAbs'), l2: finish(out.l2, v, 'l2') };
}
