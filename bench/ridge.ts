/**
 * Ridge benchmark (performance.md, `npm run bench`; not part of the tests).
 * Cases on generated data at NSD scale (n = 9,841 stimuli, 5 folds, "paper" preset, 17 alphas):
 *   A: 2,048 dense units -> 4,000 voxels;  B: 8,192 SAE latents (CSR, k = 32 per row) -> 4,000 voxels;
 *   C: as A with 15,000 voxels.
 * Y is driven by X (a random linear read-out of the units) plus noise. The anchor (bench/anchor_sklearn.py,
 * scikit-learn RidgeCV float64) runs on the same data written as .npy files, when /usr/bin/python3 has sklearn.
 * One JSON line per case.
 *
 * Environment: BENCH_CASES=A,B,C (default all)  BENCH_SCALE=0.25 (scales n, units and voxels; k stays 32)
 *              BENCH_ANCHOR=0 (skip every anchor) or BENCH_SKIP_ANCHOR=B,C (skip the anchor for these cases)
 *              BENCH_PRECISION=f32|f64|auto (default auto)  BENCH_PYTHON=/usr/bin/python3
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../src/activations/npy';
import { initBackend } from '../src/compute/backend';
import { kFoldAssignment } from '../src/compute/folds';
import { csrMatmulDense, linalgInfo, matmul, nativeNotice } from '../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { fitRidgeCv } from '../src/compute/ridge/index';

interface CaseDef {
  name: 'A' | 'B' | 'C';
  n: number;
  p: number;
  v: number;
  k?: number;
}

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

function scaled(x: number): number {
  return Math.max(8, Math.round(x * SCALE));
}

const CASES: CaseDef[] = [
  { name: 'A', n: scaled(9841), p: scaled(2048), v: scaled(4000) },
  { name: 'B', n: scaled(9841), p: scaled(8192), v: scaled(4000), k: 32 },
  { name: 'C', n: scaled(9841), p: scaled(2048), v: scaled(15000) },
];

function gaussian(rng: Rng, rows: number, cols: number, sd = 1): DenseMatrix<Float32Array> {
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * sd;
  return { rows, cols, data: d };
}

/** Dense "activations": ReLU of 64 shared factors mixed into p units plus unit noise (a decaying spectrum). */
function denseUnits(rng: Rng, n: number, p: number): DenseMatrix<Float32Array> {
  const F = gaussian(rng, n, 64);
  const M = gaussian(rng, 64, p, 1 / 8);
  const X = matmul(F, M) as DenseMatrix<Float32Array>;
  const d = X.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.max(0, d[i] + 0.5 * rng.normal());
  return X;
}

/** CSR latents: k distinct units per row, unit popularity ~ 1/(rank+2000) (mildly skewed; few dead), values |N(0,1)| + 0.1. */
function sparseLatents(rng: Rng, n: number, p: number, k: number): CsrMatrix {
  const cdf = new Float64Array(p);
  let s = 0;
  for (let j = 0; j < p; j++) cdf[j] = s += 1 / (j + 2000);
  for (let j = 0; j < p; j++) cdf[j] /= s;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  const row = new Set<number>();
  for (let i = 0; i < n; i++) {
    row.clear();
    while (row.size < Math.min(k, p)) {
      const u = rng.uniform();
      let lo = 0;
      let hi = p - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      row.add(lo);
    }
    const cols = [...row].sort((a, b) => a - b);
    for (let t = 0; t < cols.length; t++) {
      indices[i * k + t] = cols[t];
      values[i * k + t] = Math.abs(rng.normal()) + 0.1;
    }
    indptr[i + 1] = (i + 1) * k;
  }
  return { rows: n, cols: p, indptr, indices, values };
}

/** Y = X W + noise, W ~ N(0, 1/p), noise sd = signal sd (a moderate, realistic fit). */
function targets(rng: Rng, X: DenseMatrix | CsrMatrix, v: number): DenseMatrix<Float32Array> {
  const W = gaussian(rng, X.cols, v, 1 / Math.sqrt(X.cols));
  const S = ('indptr' in X ? csrMatmulDense(X, W) : matmul(X, W)) as DenseMatrix<Float32Array>;
  const d = S.data;
  let ss = 0;
  for (let i = 0; i < d.length; i++) ss += d[i] * d[i];
  const sd = Math.sqrt(ss / d.length);
  for (let i = 0; i < d.length; i++) d[i] += sd * rng.normal();
  return S;
}

function sklearnAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
  return r.status === 0;
}

function runAnchor(X: DenseMatrix | CsrMatrix, Y: DenseMatrix<Float32Array>, assignment: Int32Array) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ridge-bench-'));
  try {
    if ('indptr' in X) {
      writeFileSync(path.join(dir, 'X_indptr.npy'), writeNpy(X.indptr, [X.indptr.length]));
      writeFileSync(path.join(dir, 'X_indices.npy'), writeNpy(X.indices, [X.indices.length]));
      writeFileSync(path.join(dir, 'X_values.npy'), writeNpy(X.values, [X.values.length]));
      writeFileSync(path.join(dir, 'X_shape.npy'), writeNpy(Int32Array.from([X.rows, X.cols]), [2]));
    } else {
      writeFileSync(path.join(dir, 'X.npy'), writeNpy(X.data as Float32Array, [X.rows, X.cols]));
    }
    writeFileSync(path.join(dir, 'Y.npy'), writeNpy(Y.data, [Y.rows, Y.cols]));
    writeFileSync(path.join(dir, 'assignment.npy'), writeNpy(assignment, [assignment.length]));
    const out = execFileSync(PYTHON, [path.join(here, 'anchor_sklearn.py'), dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out) as {
      seconds: Record<string, number>;
      keptY: number;
      folds: { alpha: number; meanScore: number; scores: number[] }[];
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, d = 4) => Number(x.toFixed(d));

async function main(): Promise<void> {
  const backend = await initBackend();
  // On stderr: stdout stays one JSON line per case.
  const notice = nativeNotice(linalgInfo());
  if (notice) console.error(`warning: ${notice}`);
  const wanted = (process.env.BENCH_CASES ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase());
  const skipAnchor = new Set((process.env.BENCH_SKIP_ANCHOR ?? '').split(',').map((s) => s.trim().toUpperCase()));
  const anchorOn = process.env.BENCH_ANCHOR !== '0' && sklearnAvailable();
  const precision = (process.env.BENCH_PRECISION ?? 'auto') as 'f32' | 'f64' | 'auto';
  for (const c of CASES.filter((x) => wanted.includes(x.name))) {
    const rng = new Rng(1000 + c.name.charCodeAt(0));
    let t = performance.now();
    const X = c.k ? sparseLatents(rng, c.n, c.p, c.k) : denseUnits(rng, c.n, c.p);
    const Y = targets(rng, X, c.v);
    const assignment = kFoldAssignment(c.n, 5, 0);
    const genSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const res = fitRidgeCv(X, Y, { preset: 'paper', assignment, precision });
    const ours = (performance.now() - t) / 1000;
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const line: Record<string, unknown> = {
      case: c.name,
      n: c.n,
      units: c.p,
      voxels: c.v,
      nonZerosPerRow: c.k ?? null,
      sparse: !!c.k,
      scale: SCALE,
      backend: backend.name,
      linalg: linalgInfo(),
      precision: res.info.precision,
      form: res.folds[0].form,
      kept: { units: res.source.kept.length, voxels: res.targets.kept.length },
      seconds: {
        generate: round(genSeconds, 2),
        ...Object.fromEntries(Object.entries(res.timings).map(([k, v]) => [k, round(v, 2)])),
      },
      peakRssMB: Math.round(peakRssMB),
      foldAlphas: res.folds.map((f) => f.alpha),
      foldScores: res.folds.map((f) => round(f.meanScore, 6)),
      mean: round(res.mean, 6),
      sem: round(res.sem, 6),
    };
    if (anchorOn && !skipAnchor.has(c.name)) {
      const a = runAnchor(X, Y, assignment);
      let maxDiff = 0;
      a.folds.forEach((af, f) => {
        const kept = res.targets.kept;
        for (let j = 0; j < kept.length; j++) {
          const d = Math.abs(res.folds[f].scores[kept[j]] - af.scores[j]);
          if (Number.isFinite(d)) maxDiff = Math.max(maxDiff, d);
        }
      });
      line.anchor = {
        seconds: Object.fromEntries(Object.entries(a.seconds).map(([k, v]) => [k, round(v, 2)])),
        foldAlphas: a.folds.map((f) => f.alpha),
        foldScores: a.folds.map((f) => round(f.meanScore, 6)),
      };
      line.maxAbsScoreDiff = maxDiff;
      line.sameAlphas = a.folds.every((f, i) => f.alpha === res.folds[i].alpha);
      line.speedup = round(a.seconds.total / ours, 2);
    } else {
      line.anchor = null;
    }
    console.log(JSON.stringify(line));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
