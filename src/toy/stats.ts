/**
 * Ground-truth statistics of the toy experiment (align-interp plot_utils.py, 96006be).
 * - unitFeatureCorrelation: utils.py pairwise_corr(units, features): Pearson r with the authors' guard,
 *   x_c' y_c / (sqrt(ss_x ss_y) + 1e-10), clamped to [-1, 1] (a constant unit scores 0 against every feature).
 * - perFeatureMax: plot_toy_sae_val_hist: np.max(pairwise_corr(acts, feature_data), axis=0), i.e. per FEATURE
 *   the maximum SIGNED correlation over units (the paper's ground-truth histogram).
 * - perUnitBestAbs: this project's earlier statistic, kept and labelled: per UNIT the best |r| over features
 *   (NaN for a unit constant on the evaluation rows).
 * - featureOverlap: plot_toy_weight_histos: ||W_A,i|| ||W_B,i|| per feature, "shared" when >= 1.
 */
import type { CsrMatrix, DenseMatrix } from '../compute/matrix';
import { isCsr } from '../compute/matrix';
import type { ToyDataset } from './data';
import type { ToyModel } from './model';

export interface UnitFeatureCorrelation {
  units: number;
  features: number;
  /** units x features, row-major. */
  r: Float64Array;
  /** 1 for a unit with zero variance on the rows used. */
  constant: Uint8Array;
}

/** Pearson r between every unit (n rows) and every feature of data rows start .. start + n - 1. */
export function unitFeatureCorrelation(
  units: DenseMatrix | CsrMatrix,
  ds: ToyDataset,
  start: number,
): UnitFeatureCorrelation {
  const n = units.rows;
  const U = units.cols;
  const F = ds.nFeatures;
  const su = new Float64Array(U);
  const suu = new Float64Array(U);
  const sf = new Float64Array(F);
  const sff = new Float64Array(F);
  const sfu = new Float64Array(F * U); // feature-major for a contiguous inner loop over units
  for (let r = 0; r < n; r++) {
    const row = start + r;
    const f0 = ds.indptr[row];
    const f1 = ds.indptr[row + 1];
    for (let q = f0; q < f1; q++) {
      const v = ds.values[q];
      sf[ds.indices[q]] += v;
      sff[ds.indices[q]] += v * v;
    }
    if (isCsr(units)) {
      const u0 = units.indptr[r];
      const u1 = units.indptr[r + 1];
      for (let p = u0; p < u1; p++) {
        const v = units.values[p];
        su[units.indices[p]] += v;
        suu[units.indices[p]] += v * v;
      }
      for (let q = f0; q < f1; q++) {
        const o = ds.indices[q] * U;
        const fv = ds.values[q];
        for (let p = u0; p < u1; p++) sfu[o + units.indices[p]] += fv * units.values[p];
      }
    } else {
      const d = units.data;
      const base = r * U;
      for (let u = 0; u < U; u++) {
        const v = d[base + u];
        su[u] += v;
        suu[u] += v * v;
      }
      for (let q = f0; q < f1; q++) {
        const o = ds.indices[q] * U;
        const fv = ds.values[q];
        for (let u = 0; u < U; u++) sfu[o + u] += fv * d[base + u];
      }
    }
  }
  const r = new Float64Array(U * F);
  const constant = new Uint8Array(U);
  for (let u = 0; u < U; u++) {
    const ssu = Math.max(0, suu[u] - (su[u] * su[u]) / n);
    constant[u] = ssu === 0 ? 1 : 0;
    for (let f = 0; f < F; f++) {
      const ssf = Math.max(0, sff[f] - (sf[f] * sf[f]) / n);
      const cov = sfu[f * U + u] - (su[u] * sf[f]) / n;
      r[u * F + f] = Math.min(1, Math.max(-1, cov / (Math.sqrt(ssu * ssf) + 1e-10)));
    }
  }
  return { units: U, features: F, r, constant };
}

/** Per feature: the maximum signed r over units (plot_utils.py np.max(..., axis=0)). */
export function perFeatureMax(c: UnitFeatureCorrelation): number[] {
  return Array.from({ length: c.features }, (_, f) => {
    let best = -Infinity;
    for (let u = 0; u < c.units; u++) best = Math.max(best, c.r[u * c.features + f]);
    return best;
  });
}

/** Per unit: the best |r| over features; NaN for a constant unit. */
export function perUnitBestAbs(c: UnitFeatureCorrelation): number[] {
  return Array.from({ length: c.units }, (_, u) => {
    if (c.constant[u]) return NaN;
    let best = 0;
    for (let f = 0; f < c.features; f++) best = Math.max(best, Math.abs(c.r[u * c.features + f]));
    return best;
  });
}

/** ||W_A,i|| * ||W_B,i|| for every feature i; mean, median and how many are >= 1 ("shared"). */
export function featureOverlap(
  a: ToyModel,
  b: ToyModel,
): { perFeature: number[]; mean: number; median: number; shared: number } {
  const F = a.nFeatures;
  const N = a.nHidden;
  const norm = (W: Float32Array, i: number) => {
    let s = 0;
    for (let j = 0; j < N; j++) s += W[i * N + j] ** 2;
    return Math.sqrt(s);
  };
  const perFeature = Array.from({ length: F }, (_, i) => norm(a.W, i) * norm(b.W, i));
  const sorted = [...perFeature].sort((p, q) => p - q);
  const median = F % 2 ? sorted[(F - 1) / 2] : (sorted[F / 2 - 1] + sorted[F / 2]) / 2;
  return {
    perFeature,
    mean: perFeature.reduce((p, q) => p + q, 0) / F,
    median,
    shared: perFeature.filter((v) => v >= 1).length,
  };
}
