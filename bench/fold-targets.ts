/**
 * A study unit's targets at NSD size, side by side in one run: each fold's targets of every ROI built by copying
 * (the ROI's columns, the paper LN of every row, the fold's rows: what each representation's fit did per fold)
 * against groupFoldTargets (one pass over the rows it takes). Prints one JSON line with both times, their ratio and
 * whether every value is the same. Not part of the tests.
 * Environment: BENCH_N (10034), BENCH_VOXELS (15000, the union), BENCH_ROIS (20), BENCH_ROI_SUM (38224), BENCH_K (5).
 */
import { foldIndices, kFoldAssignment } from '../src/compute/folds';
import { type DenseMatrix, takeCols } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { PRESETS, foldTargets, globalTargets, groupFoldTargets } from '../src/compute/ridge/presets';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const n = env('BENCH_N', 10034);
const v = env('BENCH_VOXELS', 15000);
const nRois = env('BENCH_ROIS', 20);
const roiSum = env('BENCH_ROI_SUM', 38224);
const K = env('BENCH_K', 5);

const rng = new Rng(5);
const Y: DenseMatrix<Float32Array> = { rows: n, cols: v, data: new Float32Array(n * v) };
for (let i = 0; i < Y.data.length; i++) Y.data[i] = rng.normal();
// ROIs of scattered voxels (as real ROIs are in the union's order), overlapping as the streams and visual ROIs do.
const rois = Array.from({ length: nRois }, () => {
  const size = Math.round(roiSum / nRois);
  return Int32Array.from({ length: size }, () => rng.int(v)).sort();
});
const spec = PRESETS.paper;
const assignment = kFoldAssignment(n, K, 0);
const folds = Array.from({ length: K }, (_, f) => foldIndices(assignment, f));

const time = (build: (cols: Int32Array, f: number) => { train: DenseMatrix; test: DenseMatrix }) => {
  const t = performance.now();
  let checksum = 0;
  for (let f = 0; f < K; f++)
    for (const cols of rois) {
      const { train, test } = build(cols, f);
      checksum += train.data[train.data.length - 1] + test.data[0];
    }
  return { seconds: (performance.now() - t) / 1000, checksum };
};
const copying = time((cols, f) =>
  foldTargets(globalTargets(takeCols(Y, cols), spec), spec, folds[f].train, folds[f].test, 'f32'),
);
const fused = time((cols, f) => groupFoldTargets(Y, cols, spec, folds[f].train, folds[f].test, 'f32'));
let same = true;
for (const cols of rois.slice(0, 2)) {
  const a = foldTargets(globalTargets(takeCols(Y, cols), spec), spec, folds[0].train, folds[0].test);
  const b = groupFoldTargets(Y, cols, spec, folds[0].train, folds[0].test);
  same &&= a.train.data.every((x, i) => Object.is(x, b.train.data[i]));
}
console.log(
  JSON.stringify({
    sizes: { n, voxels: v, rois: nRois, roiSum, folds: K },
    copyingSeconds: +copying.seconds.toFixed(2),
    onePassSeconds: +fused.seconds.toFixed(2),
    ratio: +(copying.seconds / fused.seconds).toFixed(2),
    sameValues: same && copying.checksum === fused.checksum,
  }),
);
