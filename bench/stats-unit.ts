/**
 * One study unit (subject x layer) end to end in the compute layer: ridgeRoisPaired fits neurons (dense) and SAE
 * latents (sparse TopK codes) to every ROI over one decomposition per fold each, keeps both representations'
 * held-out predictions, and computes the paired cell of every ROI (1,000 bootstrap resamples, 9,999 sign flips).
 * Prints one JSON line: seconds of the fits and of the paired statistics, the bytes of predictions held at the
 * peak, and the process's peak RSS. Not part of the tests; sizes by environment (defaults: a fraction of NSD,
 * which has n = 9,841 stimuli and ~15,000 ROI voxels):
 *   BENCH_N=2000 BENCH_VOXELS=3000 BENCH_ROIS=6 BENCH_UNITS=256 BENCH_LATENTS=1024 BENCH_K=32 BENCH_RESAMPLES=1000
 * The statistics are O(resamples x stimuli x voxels) (a float64 GEMM per fold and block of voxels), the
 * predictions O(representations x stimuli x voxels) float32.
 */
import { kFoldAssignment } from '../src/compute/folds';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { ridgeRoisPaired } from '../src/threads/compute-tasks';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const n = env('BENCH_N', 2000);
const v = env('BENCH_VOXELS', 3000);
const nRois = env('BENCH_ROIS', 6);
const p = env('BENCH_UNITS', 256);
const m = env('BENCH_LATENTS', 1024);
const k = env('BENCH_K', 32);
const resamples = env('BENCH_RESAMPLES', 1000);

const rng = new Rng(3);
const F = 64; // latent factors driving both the layer and the voxels
const Fm = Float32Array.from({ length: n * F }, () => (rng.uniform() < 0.2 ? Math.abs(rng.normal()) : 0));
const mix = (rows: number, cols: number) =>
  Float32Array.from({ length: rows * cols }, () => rng.normal() / Math.sqrt(rows));
const A = mix(F, p);
const W = mix(F, v);
const X: DenseMatrix<Float32Array> = { rows: n, cols: p, data: new Float32Array(n * p) };
const Y: DenseMatrix<Float32Array> = { rows: n, cols: v, data: new Float32Array(n * v) };
for (let i = 0; i < n; i++) {
  for (let f = 0; f < F; f++) {
    const a = Fm[i * F + f];
    if (a === 0) continue;
    for (let j = 0; j < p; j++) X.data[i * p + j] += a * A[f * p + j];
    for (let j = 0; j < v; j++) Y.data[i * v + j] += a * W[f * v + j];
  }
  for (let j = 0; j < p; j++) X.data[i * p + j] += 0.3 * rng.normal();
  for (let j = 0; j < v; j++) Y.data[i * v + j] += rng.normal();
}
// SAE latents: k active of m per stimulus (the factors spread over m latents, plus random ones).
const indptr = new Int32Array(n + 1);
const indices = new Int32Array(n * k);
const values = new Float32Array(n * k);
for (let i = 0; i < n; i++) {
  const chosen = new Set<number>();
  for (let f = 0; f < F && chosen.size < k; f++) if (Fm[i * F + f] > 0) chosen.add((f * (m / F)) | 0);
  while (chosen.size < k) chosen.add(rng.int(m));
  [...chosen]
    .sort((a, b) => a - b)
    .forEach((c, j) => {
      indices[i * k + j] = c;
      values[i * k + j] = c % (m / F) === 0 ? Fm[i * F + c / (m / F)] + 0.05 : 0.1 * Math.abs(rng.normal());
    });
  indptr[i + 1] = (i + 1) * k;
}
const S: CsrMatrix = { rows: n, cols: m, indptr, indices, values };
const size = Math.ceil(v / nRois);
const rois = Array.from({ length: nRois }, (_, r) => ({
  name: `roi${r}`,
  columns: Int32Array.from({ length: Math.min(size, v - r * size) }, (_, j) => r * size + j),
}));

const stages: Record<string, number> = {};
let stage = '';
let t = performance.now();
const out = await ridgeRoisPaired(
  {
    Xs: [X, S],
    Y,
    rois,
    preset: 'paper',
    alphas: [1e-2, 1, 1e2, 1e4],
    assignment: kFoldAssignment(n, 5, 0),
    pairs: [[0, 1]],
    stats: { nResamples: resamples, nPermutations: 9999, seed: 0 },
  },
  (x) => {
    const s = x.stage.startsWith('fitting 1')
      ? 'fitNeurons'
      : x.stage.startsWith('fitting 2')
        ? 'fitSae'
        : x.stage.startsWith('paired')
          ? 'pairedStatistics'
          : x.stage;
    if (s !== stage) {
      const now = performance.now();
      if (stage) stages[stage] = (stages[stage] ?? 0) + (now - t) / 1000;
      stage = s;
      t = now;
    }
  },
);
if (stage) stages[stage] = (stages[stage] ?? 0) + (performance.now() - t) / 1000;
const predictionsMiB = (2 * n * v * 4) / 2 ** 20;
const round = (x: number) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    sizes: { n, voxels: v, rois: nRois, units: p, latents: m, k, resamples, permutations: 9999 },
    seconds: Object.fromEntries(Object.entries(stages).map(([s, x]) => [s, round(x)])),
    statsSecondsReported: round(out.statsSeconds),
    predictionsBothMiB: round(predictionsMiB),
    nsdPredictionsBothMiB: round((2 * 9841 * 15000 * 4) / 2 ** 20),
    bootstrapNsPerStimulusVoxelResample: round((out.statsSeconds / (resamples * n * v)) * 1e9),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    cellsExample: out.cells[0].slice(0, 2).map((c) => ({
      difference: round(c.difference * 1e4) / 1e4,
      lower: round(c.bootstrapCi.lower * 1e4) / 1e4,
      upper: round(c.bootstrapCi.upper * 1e4) / 1e4,
      p: c.p,
    })),
  }),
);
