/**
 * Cost of ridge weights on a run (issue 12 item 11; not part of the test suite): the same paper-preset fit with and
 * without unitWeights, dense neurons and sparse SAE latents, one JSON line per case with seconds and the ratio.
 *   npx tsx bench/ridge-weights.ts [--n 4000] [--units 1024] [--latents 8192] [--k 32] [--voxels 4000]
 * The coefficients add one units x n_train x voxels product per fold (X'U diag(1/(s2+alpha)) U'Y) to the fit's
 * decomposition and n_test x rank x voxels prediction: that ratio is what decides "only when asked".
 */
import { initBackend } from '../src/compute/backend';
import { kFoldAssignment } from '../src/compute/folds';
import { linalgInfo } from '../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { fitRidgeCv } from '../src/compute/ridge/index';

const args = process.argv.slice(2);
const arg = (name: string, def: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def;
const n = arg('n', 4000);
const units = arg('units', 1024);
const latents = arg('latents', 8192);
const k = arg('k', 32);
const voxels = arg('voxels', 4000);

await initBackend();
const rng = new Rng(1);
const dense: DenseMatrix<Float32Array> = {
  rows: n,
  cols: units,
  data: Float32Array.from({ length: n * units }, () => Math.max(0, rng.normal())),
};
const indptr = Int32Array.from({ length: n + 1 }, (_, i) => i * k);
const indices = new Int32Array(n * k);
for (let i = 0; i < n; i++) {
  const cols = new Set<number>();
  while (cols.size < k) cols.add(rng.int(latents));
  [...cols]
    .sort((a, b) => a - b)
    .forEach((c, j) => {
      indices[i * k + j] = c;
    });
}
const sparse: CsrMatrix = {
  rows: n,
  cols: latents,
  indptr,
  indices,
  values: Float32Array.from({ length: n * k }, () => Math.abs(rng.normal()) + 0.1),
};
const Y: DenseMatrix<Float32Array> = {
  rows: n,
  cols: voxels,
  data: Float32Array.from({ length: n * voxels }, () => rng.normal()),
};
const assignment = kFoldAssignment(n, 5, 0);

for (const [name, X] of [
  ['neurons (dense)', dense],
  ['SAE latents (CSR)', sparse],
] as const) {
  const time = (unitWeights: boolean) => {
    const t = performance.now();
    fitRidgeCv(X, Y, { preset: 'paper', assignment, unitWeights, engine: 'ts' });
    return (performance.now() - t) / 1000;
  };
  const without = time(false);
  const withWeights = time(true);
  console.log(
    JSON.stringify({
      case: name,
      n,
      units: X.cols,
      voxels,
      folds: 5,
      seconds: { fit: +without.toFixed(2), fitWithWeights: +withWeights.toFixed(2) },
      ratio: +(withWeights / without).toFixed(2),
      native: linalgInfo().native,
    }),
  );
}
