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
import { writeNpy } from '../src/io/npy';
import { initBackend } from '../src/compute/backend';
import { kFoldAssignment } from '../src/compute/folds';
import { linalgInfo, nativeNotice } from '../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { fitRidgeCv } from '../src/compute/ridge/index';
import { ridgeCases, denseUnits, sparseLatents, targets } from './ridge-data';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const CASES = ridgeCases(SCALE);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

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
      engine: res.info.engine,
      engineReason: res.info.engineReason ?? null,
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
