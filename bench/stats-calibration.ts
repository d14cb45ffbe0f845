/**
 * Calibration of what the API reports as a cell's p, q and interval (the corrected resampled t over the fold
 * differences), measured through the service's own code path (test/helpers/calibration.ts: the study unit's compute
 * task ridgeRoisPaired with fitRidgeCvGroups, default 'paper' preset and alphas, scikit-learn KFold folds, then
 * comparisonCells), on datasets where two representations are equally good by construction (null) and where b is
 * better by 3 effect sizes. Per configuration (folds.repeats 1 and 5) and setting: rejections at nominal 5% with
 * the Wilson 95% interval, coverage of the true difference by the 95% interval (test inversion: the truth is
 * covered exactly when a t-test of mean = truth does not reject), power, and the same for the plain fold t and the
 * two conditional statistics (stimulus bootstrap interval, sign-flip p). Across subjects: the exact sign-flip test
 * over subjects (signFlipTest, exact enumeration) of the per-subject cell differences, n = 4 and 8 subjects, and
 * the option beside it, the hierarchical bootstrap over subjects then stimuli (hierarchicalBootstrap over each
 * cell's conditional stimulus-bootstrap replicates, CAL_HIER_B resamples, 2000), rejections and coverage of its
 * percentile interval.
 * `candidatePerRepeat`: the per-repeat form (perRepeatP), which the API reports since the K R form measured 11%.
 * Prints one JSON line per configuration. Not part of the tests (test/unit/stats-calibration.test.ts is the
 * reduced form).
 *
 * Environment: CAL_NULL (cells under the null, 2000), CAL_ALT (cells per alternative, 400), CAL_REPEATS ("1,5"),
 * CAL_N (stimuli, 200), CAL_TRUTH (training sets for the true difference, 200), CAL_TEST (their test set, 2000).
 */
import { loadavg } from 'node:os';
import { tCdf } from '../src/compute/stats/distributions';
import { hierarchicalBootstrap, signFlipTest } from '../src/compute/stats/index';
import type { ComparisonCell } from '../src/services/paired-comparisons';
import {
  calibrationCell,
  calibrationWorld,
  rate,
  trueDifference,
  type CalibrationSetting,
} from '../test/helpers/calibration';

const env = process.env;
const NULL_CELLS = Number(env.CAL_NULL ?? 2000);
const ALT_CELLS = Number(env.CAL_ALT ?? 400);
const REPEATS = (env.CAL_REPEATS ?? '1,5').split(',').map(Number);
const N = Number(env.CAL_N ?? 200);
const TRUTH_SETS = Number(env.CAL_TRUTH ?? 200);
const TRUTH_TEST = Number(env.CAL_TEST ?? 2000);
const HIER_B = Number(env.CAL_HIER_B ?? 2000);
/** Representation b's noise sd (a's is 1): 1 = null, smaller = b better. */
const EFFECTS: Record<string, number> = { null: 1, small: 0.9, medium: 0.75, large: 0.6 };

const base: Omit<CalibrationSetting, 'repeats' | 'noiseB'> = {
  n: N,
  features: 16,
  voxels: 20,
  k: 5,
  noiseY: 1.5,
  noiseA: 1,
  resamples: 500,
  permutations: 999,
};

/** Two-sided t-test p of mean = mu from a reported interval's (mean, sem, df). */
function pAt(c: ComparisonCell, mu: number, which: 'ci' | 'foldCi'): number {
  const x = c[which];
  if (x.sem === null) return NaN;
  const df = which === 'ci' ? c.ci.df : c.nFolds - 1;
  return 2 * tCdf(-Math.abs((c.difference - mu) / x.sem), df);
}

/**
 * The per-repeat form for repeats > 1 (what the API now reports, repeatedCorrectedT): each repeat's own corrected variance
 * s_r^2 (1/K + 1/(K-1)), averaged over the repeats, with df K - 1 — repeating then stabilises the estimate and the
 * mean but is not credited with shrinking the variance of the mean (the repeats reuse the same stimuli).
 * Returns the two-sided p of mean = mu.
 */
function perRepeatP(d: readonly number[], K: number, mu: number): number {
  const R = d.length / K;
  let v = 0;
  for (let r = 0; r < R; r++) {
    const x = d.slice(r * K, (r + 1) * K);
    const m = x.reduce((a, b) => a + b, 0) / K;
    v += x.reduce((a, b) => a + (b - m) ** 2, 0) / (K - 1);
  }
  const se = Math.sqrt((v / R) * (1 / K + 1 / (K - 1)));
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return 2 * tCdf(-Math.abs((mean - mu) / se), K - 1);
}

interface Summary {
  rejections: ReturnType<typeof rate>;
  coverage: ReturnType<typeof rate>;
}

function summarise(cells: ComparisonCell[], truth: number, folds: number[][], K: number) {
  const count = (f: (c: ComparisonCell) => boolean) => cells.filter(f).length;
  const n = cells.length;
  const both = (rej: (c: ComparisonCell) => boolean, cover: (c: ComparisonCell) => boolean): Summary => ({
    rejections: rate(count(rej), n),
    coverage: rate(count(cover), n),
  });
  const boot = (c: ComparisonCell) => c.conditionalBootstrapCi!;
  return {
    headline: both(
      (c) => (c.p ?? 1) < 0.05,
      (c) => pAt(c, truth, 'ci') >= 0.05,
    ),
    plainFoldT: both(
      (c) => (c.foldCi.p ?? 1) < 0.05,
      (c) => pAt(c, truth, 'foldCi') >= 0.05,
    ),
    conditionalBootstrap: both(
      (c) => boot(c).lower > 0 || boot(c).upper < 0,
      (c) => boot(c).lower <= truth && truth <= boot(c).upper,
    ),
    conditionalSignFlip: {
      rejections: rate(
        count((c) => (c.conditionalPermutationP ?? 1) < 0.05),
        n,
      ),
    },
    candidatePerRepeat: {
      rejections: rate(folds.filter((d) => perRepeatP(d, K, 0) < 0.05).length, n),
      coverage: rate(folds.filter((d) => perRepeatP(d, K, truth) >= 0.05).length, n),
    },
    meanDifference: cells.reduce((s, c) => s + c.difference, 0) / n,
    meanCiWidth: cells.reduce((s, c) => s + (c.ci.upper! - c.ci.lower!), 0) / n,
  };
}

/**
 * Over subjects (groups of `size` consecutive cells): the exact sign-flip (rejections of 0 and of the truth) and
 * the hierarchical bootstrap (rejections of 0 by its p; coverage of the truth by its percentile interval).
 */
function acrossSubjects(cells: ComparisonCell[], replicates: Float64Array[], size: number, truth: number) {
  const groups = Math.floor(cells.length / size);
  let reject = 0;
  let cover = 0;
  let minP = 1;
  let hierReject = 0;
  let hierCover = 0;
  let hierWidth = 0;
  for (let g = 0; g < groups; g++) {
    const d = cells.slice(g * size, (g + 1) * size).map((c) => c.difference);
    const subjects = d.map((difference, j) => ({ difference, replicates: replicates[g * size + j] }));
    const h = hierarchicalBootstrap(subjects, { nResamples: HIER_B, seed: g })!;
    if (h.p < 0.05) hierReject++;
    if (h.lower <= truth && truth <= h.upper) hierCover++;
    hierWidth += h.upper - h.lower;
    const p0 = signFlipTest(d, { nPermutations: 9999 }).p;
    const pt = signFlipTest(
      d.map((v) => v - truth),
      { nPermutations: 9999 },
    ).p;
    minP = Math.min(minP, p0);
    if (p0 < 0.05) reject++;
    if (pt >= 0.05) cover++;
  }
  return {
    subjects: size,
    groups,
    rejections: rate(reject, groups),
    coverage: rate(cover, groups),
    smallestP: minP,
    hierarchicalBootstrap: {
      rejections: rate(hierReject, groups),
      coverage: rate(hierCover, groups),
      meanWidth: hierWidth / groups,
    },
  };
}

async function configuration(repeats: number) {
  const t0 = performance.now();
  const out: Record<string, unknown> = {};
  for (const [name, noiseB] of Object.entries(EFFECTS)) {
    const setting: CalibrationSetting = { ...base, repeats, noiseB };
    const world = calibrationWorld(setting, 1);
    const truth = name === 'null' ? { mean: 0, se: 0 } : trueDifference(setting, world, TRUTH_SETS, TRUTH_TEST, 5);
    const count = name === 'null' ? NULL_CELLS : ALT_CELLS;
    const cells: ComparisonCell[] = [];
    const folds: number[][] = [];
    const replicates: Float64Array[] = [];
    let seconds = 0;
    for (let i = 0; i < count; i++) {
      const c = await calibrationCell(setting, world, 1000 * (i + 1) + repeats);
      cells.push(c.cell);
      folds.push(c.foldDifferences);
      replicates.push(c.replicates);
      seconds += c.seconds;
    }
    out[name] = {
      noiseB,
      truth,
      cells: count,
      secondsPerCell: Number((seconds / count).toFixed(4)),
      ...summarise(cells, truth.mean, folds, setting.k),
      acrossSubjects: [4, 8].map((n) => acrossSubjects(cells, replicates, n, truth.mean)),
    };
  }
  return { repeats, seconds: (performance.now() - t0) / 1000, settings: out };
}

async function main() {
  const load = loadavg().map((x) => Number(x.toFixed(1)));
  for (const r of REPEATS) {
    const res = await configuration(r);
    console.log(
      JSON.stringify({
        bench: 'stats-calibration',
        setting: { ...base, effects: EFFECTS },
        loadAtStart: load,
        loadAtEnd: loadavg().map((x) => Number(x.toFixed(1))),
        ...res,
      }),
    );
  }
}

void main();
