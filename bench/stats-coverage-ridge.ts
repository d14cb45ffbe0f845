/**
 * Coverage of the per-cell intervals when the held-out predictions come from the real cross-validated ridge
 * (folds share training stimuli), not simulated directly as in test/unit/stats-coverage.test.ts.
 * Each simulated dataset: 16 sparse features F (active with p = 0.3, |N(0,1)| values), 150 stimuli, 8 voxels
 * Y = F W + noise; representation a = 6 neurons F A (superposition: fewer units than features); in the "better"
 * ROI b = the 16 features themselves (what an ideal SAE recovers), in the "similar" ROI b = F A' with A' another
 * draw of A's distribution. A, A' and W are fixed (given representations); stimuli and noise are drawn per
 * dataset. 'paper-centred' preset (Pearson), 5 folds. The estimand is the expected CV difference over
 * datasets for these representations, estimated by the mean over all simulated datasets (its Monte Carlo
 * error is sd/sqrt(datasets)). Intervals: stimulus bootstrap, plain fold t, Nadeau-Bengio corrected fold t. Prints one JSON line. Not part of the tests.
 *
 * Environment: COVERAGE_DATASETS=200
 */
import { kFoldAssignment } from '../src/compute/folds';
import type { DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { fitRidgeCv } from '../src/compute/ridge/index';
import { pairedFitCell } from '../src/compute/stats/index';

const D = Number(process.env.COVERAGE_DATASETS ?? 200);
const N = 150;
const F = 16;
const U = 6;
const V = 8;

function dense(rows: number, cols: number, f: (i: number, j: number) => number): DenseMatrix<Float32Array> {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = f(i, j);
  return { rows, cols, data };
}

function product(Fm: DenseMatrix, W: DenseMatrix, noise: number, rng: Rng): DenseMatrix<Float32Array> {
  return dense(Fm.rows, W.cols, (i, j) => {
    let s = 0;
    for (let k = 0; k < Fm.cols; k++) s += Fm.data[i * Fm.cols + k] * W.data[k * W.cols + j];
    return s + noise * rng.normal();
  });
}

const rng = new Rng(77);
const W = dense(F, V, () => rng.normal());
const A = dense(F, U, () => rng.normal());
const A2 = dense(F, U, () => rng.normal());
const results: Record<
  'better' | 'similar',
  { d: number; boot: [number, number]; fold: [number, number]; nb: [number, number] }[]
> = { better: [], similar: [] };
const t0 = performance.now();
for (let s = 0; s < D; s++) {
  const Fm = dense(N, F, () => (rng.uniform() < 0.3 ? Math.abs(rng.normal()) : 0));
  const Y = product(Fm, W, 1.5, rng);
  const Xa = product(Fm, A, 0, rng);
  const assignment = kFoldAssignment(N, 5, s);
  const opts = { preset: 'paper-centred' as const, assignment, returnPredictions: true };
  const a = fitRidgeCv(Xa, Y, opts);
  for (const kind of ['better', 'similar'] as const) {
    const Xb = kind === 'better' ? Fm : product(Fm, A2, 0, rng);
    const b = fitRidgeCv(Xb, Y, opts);
    const c = pairedFitCell(Y, a, b, { seed: s, nPermutations: 999 });
    results[kind].push({
      d: c.difference,
      boot: [c.bootstrapCi.lower, c.bootstrapCi.upper],
      fold: [c.foldCi.lower, c.foldCi.upper],
      nb: [c.foldCiCorrected.lower, c.foldCiCorrected.upper],
    });
  }
}
const cover = (rs: (typeof results)['better'], truth: number, key: 'boot' | 'fold' | 'nb') =>
  rs.filter((r) => r[key][0] <= truth && truth <= r[key][1]).length / rs.length;
const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
const summary = (rs: (typeof results)['better']) => {
  const truth = mean(rs.map((r) => r.d));
  const sd = Math.sqrt(mean(rs.map((r) => (r.d - truth) ** 2)));
  return {
    truthEstimate: +truth.toFixed(4),
    sdOverDatasets: +sd.toFixed(4),
    bootstrapCoverage: cover(rs, truth, 'boot'),
    foldTCoverage: cover(rs, truth, 'fold'),
    nadeauBengioCoverage: cover(rs, truth, 'nb'),
  };
};
console.log(
  JSON.stringify({
    datasets: D,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    better: summary(results.better),
    similar: summary(results.similar),
  }),
);
