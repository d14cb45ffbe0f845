/**
 * Cost of the stimulus-level paired statistics (src/compute/stats) at NSD scale (not part of the tests).
 * Measures bootstrapDifferences and the sign-flip test on the full NSD stimulus count (n = 9,841 in 5 folds)
 * with a reduced number of targets and resamples, then scales linearly (both are O(resamples x n x targets))
 * to 15,000 voxels and 1,000 resamples. Memory is computed from the array sizes. Then a study unit's three pairs
 * of one ROI, side by side: each pair alone against the pairs sharing their work (pairedCells).
 *
 * Environment: BENCH_TARGETS=300  BENCH_RESAMPLES=20
 */
import { kFoldAssignment, foldIndices } from '../src/compute/folds';
import type { DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import {
  bootstrapDifferences,
  bootstrapResamples,
  pairedCell,
  pairedCells,
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
// A study unit's pairs (neurons, SAE, random twin: 3 pairs) over one ROI of v targets: each pair alone, as a unit
// computed them before, against all three sharing the resamples' GEMM, contributions and sign vectors (pairedCells).
{
  const held = folds.map((f) => ({ preds: [f.a, f.b, f.y], y: f.y }));
  const pairs: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  const options = { kind: 'cosine' as const, nResamples: R, nPermutations: 9999, seed: 3 };
  let t = now();
  const alone = pairs.map(([a, b]) =>
    pairedCell(
      held.map((f) => ({ a: f.preds[a], b: f.preds[b], y: f.y })),
      options,
    ),
  );
  const perPair = now() - t;
  t = now();
  const together = pairedCells(held, pairs, options);
  const shared = now() - t;
  const maxDiff = Math.max(...together.map((c, k) => Math.abs(c.bootstrapCi.upper - alone[k].bootstrapCi.upper)));
  console.log(
    JSON.stringify({
      unitPairs: { pairs: 3, n: N, targets: v, resamples: R },
      perPairSeconds: +perPair.toFixed(2),
      sharedSeconds: +shared.toFixed(2),
      ratio: +(perPair / shared).toFixed(2),
      sameP: together.every((c, k) => c.p === alone[k].p),
      maxUpperBoundDiff: maxDiff,
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
