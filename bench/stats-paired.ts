/**
 * Cost of the stimulus-level paired statistics (src/compute/stats) at NSD scale (not part of the tests).
 * Measures bootstrapDifferences and the sign-flip test on the full NSD stimulus count (n = 9,841 in 5 folds)
 * with a reduced number of targets and resamples, then scales linearly (both are O(resamples x n x targets))
 * to 15,000 voxels and 1,000 resamples. Memory is computed from the array sizes.
 *
 * Environment: BENCH_TARGETS=300  BENCH_RESAMPLES=20
 */
import { kFoldAssignment, foldIndices } from '../src/compute/folds';
import type { DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import {
  bootstrapDifferences,
  bootstrapResamples,
  signFlipTest,
  stimulusDifferences,
  type HeldOutFold,
} from '../src/compute/stats/index';

const N = 9841;
const K = 5;
const NSD_VOXELS = 15000;
const NSD_RESAMPLES = 1000;
const v = Number(process.env.BENCH_TARGETS ?? 300);
const R = Number(process.env.BENCH_RESAMPLES ?? 20);

const rng = new Rng(1);
const assignment = kFoldAssignment(N, K, 0);
const folds: HeldOutFold[] = [];
for (let f = 0; f < K; f++) {
  const m = foldIndices(assignment, f).test.length;
  const mk = (): DenseMatrix<Float32Array> => ({
    rows: m,
    cols: v,
    data: Float32Array.from({ length: m * v }, () => rng.normal()),
  });
  folds.push({ a: mk(), b: mk(), y: mk() });
}
const sizes = folds.map((f) => f.y.rows);
const now = () => performance.now() / 1000;
for (const kind of ['cosine', 'pearson'] as const) {
  let t = now();
  bootstrapDifferences(folds, kind, bootstrapResamples(sizes, R, 0));
  const boot = now() - t;
  t = now();
  const w = stimulusDifferences(folds, kind);
  const contrib = now() - t;
  t = now();
  signFlipTest(w, { nPermutations: 9999, seed: 1 });
  const perm = now() - t;
  const scale = NSD_VOXELS / v;
  console.log(
    JSON.stringify({
      kind,
      measured: {
        n: N,
        targets: v,
        resamples: R,
        bootstrapSeconds: +boot.toFixed(3),
        contributionsSeconds: +contrib.toFixed(3),
        permutation9999Seconds: +perm.toFixed(3),
      },
      nsdPerSubjectLayer: {
        voxels: NSD_VOXELS,
        bootstrap1000Seconds: +(boot * scale * (NSD_RESAMPLES / R)).toFixed(0),
        permutationSeconds: +(contrib * scale + perm).toFixed(1),
        nsPerStimulusTargetResample: +((boot / (R * N * v)) * 1e9).toFixed(2),
      },
    }),
  );
}
const bytes = N * NSD_VOXELS * 4;
console.log(
  JSON.stringify({
    memory: {
      predictionsPerRepresentationMiB: +(bytes / 2 ** 20).toFixed(1),
      bothRepresentationsPlusTestTargetsMiB: +((3 * bytes) / 2 ** 20).toFixed(1),
      resampleIndicesIfStoredMiB: +((NSD_RESAMPLES * N * 4) / 2 ** 20).toFixed(1),
    },
  }),
);
