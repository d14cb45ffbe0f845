/**
 * Ridge weights per source unit over an ROI (issue item 11; the authors' surrogate-SAE analysis reads the
 * fitted coefficients: align-interp utils.py RidgeRegression (96006be) returns every fold's predictor.coef_,
 * and plot_utils.py dnn_brain_linreg_interp takes per unit np.linalg.norm(coeffs[:, unit]) over the voxels).
 * - 'meanAbs' (default): mean over the ROI's voxels of |beta|, comparable across ROIs of different sizes;
 * - 'l2': the authors' magnitude, sqrt(sum over the ROI's voxels of beta^2).
 * Coefficients use scikit-learn's coef_ layout: targets x units, row-major, one matrix per fold.
 */
export type WeightsStat = 'meanAbs' | 'l2';

export interface RidgeWeightsSummary {
  /** Per fold: one value per source unit. */
  perFold: Float64Array[];
  /** Mean over folds, per source unit. */
  mean: Float64Array;
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
    if (c.length !== nTargets * nUnits) throw new RangeError(`ridge weights: fold ${f} has ${c.length} coefficients, expected ${nTargets} x ${nUnits}`);
    const out = new Float64Array(nUnits);
    for (let i = 0; i < roiTargets.length; i++) {
      const t = roiTargets[i];
      if (!(t >= 0 && t < nTargets)) throw new RangeError(`ridge weights: target ${t} outside 0..${nTargets - 1}`);
      const o = t * nUnits;
      for (let u = 0; u < nUnits; u++) out[u] += stat === 'l2' ? c[o + u] * c[o + u] : Math.abs(c[o + u]);
    }
    for (let u = 0; u < nUnits; u++) out[u] = stat === 'l2' ? Math.sqrt(out[u]) : out[u] / roiTargets.length;
    return out;
  });
  const mean = new Float64Array(nUnits);
  for (const f of perFold) for (let u = 0; u < nUnits; u++) mean[u] += f[u] / perFold.length;
  return { perFold, mean };
}
