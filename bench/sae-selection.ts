/**
 * `npx tsx bench/sae-selection.ts` (SEL_N, SEL_UNITS, SEL_LATENTS, SEL_K, SEL_VOXELS, SEL_CANDIDATES, SEL_INNER): the
 * cost of choosing an SAE by inner CV (src/compute/ridge/select.ts, studies' {selectSae: 'inner-cv'}) against
 * fitting one fixed SAE, on synthetic sparse latents (k non-zeros per row) to two ROIs, 'paper' preset, 5 outer
 * folds. Prints one JSON line: CPU seconds (user + system, this process) of one fixed fit and of the selection, and
 * wall seconds of its inner fits and of the outer fits of the chosen candidates; after one warm-up fit.
 */
import { kFoldAssignment } from '../src/compute/folds';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { fitRidgeCvGroups } from '../src/compute/ridge/index';
import { fitSelected } from '../src/compute/ridge/select';

const num = (k: string, d: number) => Number(process.env[k] ?? d);
const n = num('SEL_N', 1000);
const latents = num('SEL_LATENTS', 2048);
const k = num('SEL_K', 32);
const voxels = num('SEL_VOXELS', 400);
const C = num('SEL_CANDIDATES', 2);
const inner = num('SEL_INNER', 5);
const rng = new Rng(1);

function sparse(seed: number): CsrMatrix {
  const r = new Rng(seed);
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cols = new Set<number>();
    while (cols.size < k) cols.add(r.int(latents));
    [...cols]
      .sort((a, b) => a - b)
      .forEach((c, j) => {
        indices[i * k + j] = c;
        values[i * k + j] = r.uniform();
      });
    indptr[i + 1] = (i + 1) * k;
  }
  return { rows: n, cols: latents, indptr, indices, values };
}

const Y: DenseMatrix<Float32Array> = {
  rows: n,
  cols: voxels,
  data: Float32Array.from({ length: n * voxels }, () => rng.normal()),
};
const groups = [
  { name: 'a', columns: Int32Array.from({ length: voxels / 2 }, (_, i) => i) },
  { name: 'b', columns: Int32Array.from({ length: voxels / 2 }, (_, i) => voxels / 2 + i) },
];
const candidates = Array.from({ length: C }, (_, c) => sparse(10 + c));
const options = { preset: 'paper' as const, assignment: kFoldAssignment(n, 5, 0) };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
fitRidgeCvGroups(candidates[0], Y, groups, options); // warm-up (backend, native library)
let t = cpu();
fitRidgeCvGroups(candidates[0], Y, groups, options);
const fixed = cpu() - t;
t = cpu();
const sel = fitSelected(candidates, Y, groups, options, { innerFolds: inner, seed: 0 });
const selection = cpu() - t;
const r2 = (x: number) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    case: 'sae-selection',
    n,
    latents,
    k,
    voxels,
    candidates: C,
    innerFolds: inner,
    fixedCpuSeconds: r2(fixed),
    selectionCpuSeconds: r2(selection),
    innerWallSeconds: r2(sel.selection.seconds.inner),
    outerWallSeconds: r2(sel.selection.seconds.outer),
    chosenDistinct: new Set(sel.selection.chosen).size,
    ratio: r2(selection / fixed),
  }),
);
