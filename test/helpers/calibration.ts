/**
 * Calibration of the headline per-cell statistic through the service's own code path (used by
 * bench/stats-calibration.ts and test/unit/stats-calibration.test.ts): each simulated cell is fitted by the
 * compute task a study unit runs (ridgeRoisPaired: fitRidgeCvGroups per representation and repeat, default
 * 'paper' preset and alpha grid, scikit-learn KFold folds, seed + r per repeat) and reported by the function the
 * API uses (comparisonCells: corrected resampled t interval and p), with the conditional stimulus bootstrap
 * interval and sign-flip p beside it.
 *
 * Data: latent features F (stimuli x m, sparse non-negative: active with p = 0.3, |N(0,1)|) drive the voxels,
 * Y = F W + sY N. Representation a = F Q_a + s_a E_a, b = F Q_b + s_b E_b: two independent noisy mixings of the
 * same features, Q random orthogonal matrices that keep the all-ones vector (so the paper preset's row layer norm
 * commutes with them: LN(x Q) = LN(x) Q) and E iid N(0,1). Ridge predictions do not change when the design is
 * rotated, and E Q' is again iid N(0,1), so a and b are exchangeable when s_a = s_b: the true difference is 0
 * by construction (null). With s_b < s_a, b is better (alternatives).
 */
import { kFoldAssignment } from '../../src/compute/folds';
import type { DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, PAPER_ALPHAS } from '../../src/compute/ridge/index';
import { comparisonCells, type ComparisonCell } from '../../src/services/paired-comparisons';
import { ridgeRoisPaired } from '../../src/threads/compute-tasks';

export interface CalibrationSetting {
  /** Stimuli, latent features (= units of each representation), voxels of the ROI. */
  n: number;
  features: number;
  voxels: number;
  k: number;
  repeats: number;
  /** Noise sd of the voxels and of each representation (s_a = s_b: null). */
  noiseY: number;
  noiseA: number;
  noiseB: number;
  /** Conditional statistics: bootstrap resamples and sign-flip permutations. */
  resamples: number;
  permutations: number;
}

/** What is fixed across a setting's datasets: the voxel weights and both mixings. */
export interface CalibrationWorld {
  W: DenseMatrix<Float32Array>;
  Qa: DenseMatrix<Float32Array>;
  Qb: DenseMatrix<Float32Array>;
}

export interface CalibrationCell {
  /** The headline (as the API reports it) and the conditional statistics. */
  cell: ComparisonCell;
  /** b - a per fold, repeat-major (K x R). */
  foldDifferences: number[];
  /** The conditional stimulus bootstrap's finite replicates of b - a (what a study job stores per cell). */
  replicates: Float64Array;
  seconds: number;
}

function dense(rows: number, cols: number, f: (i: number, j: number) => number): DenseMatrix<Float32Array> {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = f(i, j);
  return { rows, cols, data };
}

/** A Z + s N (N iid standard normal). */
function mix(A: DenseMatrix, Z: DenseMatrix, noise: number, rng: Rng): DenseMatrix<Float32Array> {
  return dense(A.rows, Z.cols, (i, j) => {
    let s = 0;
    for (let k = 0; k < A.cols; k++) s += A.data[i * A.cols + k] * Z.data[k * Z.cols + j];
    return s + (noise > 0 ? noise * rng.normal() : 0);
  });
}

/** Gram-Schmidt orthonormalisation of the columns of `cols` (each a vector), in order. */
function orthonormal(cols: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const c of cols) {
    const v = Float64Array.from(c);
    for (const u of out) {
      let d = 0;
      for (let i = 0; i < v.length; i++) d += u[i] * v[i];
      for (let i = 0; i < v.length; i++) v[i] -= d * u[i];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < v.length; i++) v[i] /= norm;
    out.push(v);
  }
  return out;
}

/**
 * A random m x m orthogonal matrix Q with Q 1 = 1: u u' + B R B', u = 1/sqrt(m), B an orthonormal basis of the
 * complement of u, R a random orthogonal (m-1) x (m-1) (Gram-Schmidt of a Gaussian matrix).
 */
export function onesKeepingRotation(m: number, rng: Rng): DenseMatrix<Float32Array> {
  const basis = orthonormal([
    new Float64Array(m).fill(1),
    ...Array.from({ length: m - 1 }, (_, j) => Float64Array.from({ length: m }, (_, i) => (i === j ? 1 : 0))),
  ]);
  const [u, ...B] = basis;
  const R = orthonormal(Array.from({ length: m - 1 }, () => Float64Array.from({ length: m - 1 }, () => rng.normal())));
  // Q = u u' + sum_jk B_j R[j][k] B_k'
  return dense(m, m, (i, l) => {
    let s = u[i] * u[l];
    for (let j = 0; j < m - 1; j++) {
      let t = 0;
      for (let k = 0; k < m - 1; k++) t += R[k][j] * B[k][l];
      s += B[j][i] * t;
    }
    return s;
  });
}

export function calibrationWorld(setting: CalibrationSetting, seed: number): CalibrationWorld {
  const rng = new Rng(seed);
  const m = setting.features;
  return {
    W: dense(m, setting.voxels, () => rng.normal()),
    Qa: onesKeepingRotation(m, rng),
    Qb: onesKeepingRotation(m, rng),
  };
}

function features(n: number, m: number, rng: Rng): DenseMatrix<Float32Array> {
  return dense(n, m, () => (rng.uniform() < 0.3 ? Math.abs(rng.normal()) : 0));
}

/** One dataset's stimuli: features, voxels and both representations. */
function dataset(s: CalibrationSetting, w: CalibrationWorld, n: number, rng: Rng) {
  const F = features(n, s.features, rng);
  return { Y: mix(F, w.W, s.noiseY, rng), Xa: mix(F, w.Qa, s.noiseA, rng), Xb: mix(F, w.Qb, s.noiseB, rng) };
}

/** One cell: a fresh dataset fitted by ridgeRoisPaired and reported by comparisonCells (b - a). */
export async function calibrationCell(
  s: CalibrationSetting,
  w: CalibrationWorld,
  seed: number,
): Promise<CalibrationCell> {
  const t0 = performance.now();
  const rng = new Rng(seed);
  const { Y, Xa, Xb } = dataset(s, w, s.n, rng);
  const assignments = Array.from({ length: s.repeats }, (_, r) => kFoldAssignment(s.n, s.k, (seed + r) >>> 0));
  const out = await ridgeRoisPaired(
    {
      Xs: [Xa, Xb],
      Y,
      rois: [{ name: 'roi', columns: Int32Array.from({ length: s.voxels }, (_, j) => j) }],
      preset: 'paper',
      alphas: [...PAPER_ALPHAS],
      assignment: assignments[0],
      repeatAssignments: assignments.slice(1),
      pairs: [[0, 1]],
      stats: { nResamples: s.resamples, nPermutations: s.permutations, seed },
    },
    () => {},
  );
  const pc = out.cells[0][0];
  const [cell] = comparisonCells([
    {
      subject: 's',
      layerId: 'l',
      layerName: 'l',
      roi: 'roi',
      aFolds: out.fits[0].rois[0].foldMeans,
      bFolds: out.fits[1].rois[0].foldMeans,
      repeats: s.repeats,
      paired: {
        a: pc.a,
        b: pc.b,
        difference: pc.difference,
        bootstrapCi: pc.bootstrapCi,
        p: pc.p,
        permutation: pc.permutation,
        nStimuli: pc.nStimuli,
      },
    },
  ]);
  const [fa, fb] = [out.fits[0].rois[0].foldMeans, out.fits[1].rois[0].foldMeans];
  return {
    cell,
    foldDifferences: fb.map((v, i) => v - fa[i]),
    replicates: pc.bootstrapReplicates,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The true difference b - a of a setting: the expected score on new stimuli of models trained on n_train =
 * n (K-1)/K stimuli (what a K-fold estimate estimates), by `datasets` training sets each scored on its own large
 * independent test set of `testSize` stimuli, with the same ridge. Returns the mean and its Monte-Carlo SE.
 */
export function trueDifference(
  s: CalibrationSetting,
  w: CalibrationWorld,
  datasets: number,
  testSize: number,
  seed: number,
): { mean: number; se: number } {
  const nTrain = Math.round((s.n * (s.k - 1)) / s.k);
  const d: number[] = [];
  for (let r = 0; r < datasets; r++) {
    const rng = new Rng((seed + 7919 * r) >>> 0);
    const { Y, Xa, Xb } = dataset(s, w, nTrain + testSize, rng);
    // fold 0: the large test set (trained on the nTrain rows of fold 1); fold 1's own fit is not used.
    const assignment = Int32Array.from({ length: nTrain + testSize }, (_, i) => (i < nTrain ? 1 : 0));
    const score = (X: DenseMatrix<Float32Array>) =>
      fitRidgeCv(X, Y, { preset: 'paper', alphas: [...PAPER_ALPHAS], assignment }).folds.find((f) => f.fold === 0)!
        .meanScore;
    d.push(score(Xb) - score(Xa));
  }
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
  return { mean, se: sd / Math.sqrt(d.length) };
}

/** Rejections k of n with the Wilson 95% interval (in percent). */
export function rate(k: number, n: number): { percent: number; lower: number; upper: number; k: number; n: number } {
  const z = 1.959964;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  const r = (x: number) => Math.round(x * 1000) / 10;
  return { percent: r(p), lower: r(centre - half), upper: r(centre + half), k, n };
}
