/**
 * Parity with scikit-learn RidgeCV (fixtures from test/fixtures/ridge/gen_parity.py): same dead units, same
 * chosen alpha(s) per fold, same LOO errors, predictions and scores within 1e-4, for every preset on dense
 * primal and dual designs, rank-deficient designs and sparse latents; on every compute backend that loads
 * here (himalaya's ALL_BACKENDS x RIDGE_SOLVERS). A backend that does not load is reported as skipped, with why.
 * Presets without a scikit-learn fixture are checked against the TypeScript backend on the fixtures' designs.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBackend, initBackend, setTfjsEnabled } from '../../src/compute/backend';
import { cudaInfo, nativeAvailable, setCudaEnabled, setNativeEnabled } from '../../src/compute/linalg/index';
import { PRESETS, RIDGE_PRESETS, type RidgePreset, fitRidgeCv } from '../../src/compute/ridge/index';
import { fakeCudaUnavailable, installFakeCuda, removeFakeCuda } from '../helpers/fake-cuda';
import { fixtureSource, type RidgeFixtureCase } from '../helpers/ridge-fixture';

interface FixtureFold {
  alpha?: number;
  alphas?: number[];
  loo: number[];
  pred: number[];
  scores: (number | null)[];
}
interface FixtureCase extends RidgeFixtureCase {
  folds: FixtureFold[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ridge/parity.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  cases: FixtureCase[];
};

const sourceOf = fixtureSource;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Backend = 'cuda' | 'native' | 'tfjs-wasm' | 'ts';

/**
 * Whether each backend loads here (null) or why not. CUDA: a real GPU when one answers, else the host stand-in
 * of the CUDA libraries (test/fixtures/fake-cuda), installed now, before the GPU path's first use.
 */
let fakeCudaDir: string | null = null;
function cudaUnavailable(): string | null {
  const why = fakeCudaUnavailable();
  if (existsSync('/dev/nvidiactl')) return cudaInfo().available ? null : `GPU path unavailable: ${cudaInfo().reason}`;
  if (why) return `no GPU and no host stand-in (${why})`;
  // Before anything opens the GPU path: the addon keeps its first outcome.
  fakeCudaDir = installFakeCuda();
  return cudaInfo().available ? null : `host stand-in did not load: ${cudaInfo().reason}`;
}
function wasmUnavailable(): string | null {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    return null;
  } catch {
    return '@tensorflow/tfjs-backend-wasm is not installed';
  }
}
const UNAVAILABLE: Record<Backend, string | null> = {
  cuda: cudaUnavailable(),
  native: nativeAvailable() ? null : 'the native OpenBLAS addon is not available',
  'tfjs-wasm': wasmUnavailable(),
  ts: null,
};
afterAll(() => {
  if (fakeCudaDir) removeFakeCuda(fakeCudaDir);
});

/** Switch this process to one backend (the run-time switches of backend.ts); returns the undo. */
function useBackend(b: Backend): () => void {
  const prev = [
    setCudaEnabled(b === 'cuda'),
    setNativeEnabled(b === 'cuda' || b === 'native'),
    setTfjsEnabled(b !== 'ts'),
  ];
  return () => {
    setCudaEnabled(prev[0]);
    setNativeEnabled(prev[1]);
    setTfjsEnabled(prev[2]);
  };
}

/** What the resolved backend must say once switched to `b`. */
function expectResolved(b: Backend): void {
  const r = computeBackend();
  if (b === 'cuda') expect(r).toMatchObject({ gemm: 'cuda', foldEngine: 'cuda' });
  else if (b === 'native') expect(r).toMatchObject({ gemm: 'native', syrk: 'native', eigh: 'native', csr: 'native' });
  else if (b === 'tfjs-wasm') expect(r).toMatchObject({ tensor: 'wasm', gemm: 'tfjs', syrk: 'tfjs', csr: 'ts' });
  else expect(r).toMatchObject({ gemm: 'ts', syrk: 'ts', eigh: 'ts', csr: 'ts', foldEngine: 'ts' });
}

/** The fixture's checks of one fitted case (alphas, LOO errors, predictions, scores, dropped targets). */
function expectSklearnParity(c: FixtureCase): void {
  const Y = { rows: c.n, cols: c.v, data: Float32Array.from(c.Y) };
  const res = fitRidgeCv(sourceOf(c), Y, {
    preset: c.preset,
    alphas: c.alphas,
    assignment: Int32Array.from(c.assignment),
    returnPredictions: true,
    precision: 'f64',
  });
  expect(Array.from(res.source.kept)).toEqual(c.keptX);
  expect(Array.from(res.targets.kept)).toEqual(c.keptY);
  expect(res.folds.length).toBe(c.folds.length);
  c.folds.forEach((ref, f) => {
    const fr = res.folds[f];
    if (c.preset === 'encoding') {
      // Same alpha per target, except on near-ties of the reference criterion itself (targets fitted in the
      // interpolation regime, where LOO is flat to 1e-7 over several tiny alphas): there the alpha we chose
      // must be optimal for scikit-learn's own LOO values to 1e-6.
      const m = c.alphas.length;
      const v = c.keptY.length;
      let same = 0;
      c.keptY.forEach((t, j) => {
        const ours = c.alphas.indexOf(fr.alphaPerTarget![t]);
        const theirs = c.alphas.indexOf(ref.alphas![j]);
        expect(ours).toBeGreaterThanOrEqual(0);
        if (ours === theirs) same++;
        else expect(ref.loo[ours * v + j]).toBeLessThanOrEqual(ref.loo[theirs * v + j] * (1 + 1e-6));
        for (let k = 0; k < m; k++) {
          const r = ref.loo[k * v + j];
          expect(Math.abs(fr.looErrors![k * v + j] - r)).toBeLessThanOrEqual(1e-4 * r + 1e-9);
        }
      });
      expect(same).toBeGreaterThanOrEqual(v - 1);
    } else {
      expect(fr.alpha).toBe(ref.alpha);
      // LOO criterion per alpha, relative to its own size (sklearn's own float64 noise dominates at
      // the tiniest alphas on rank-deficient data, where the criterion is flat anyway).
      for (let k = 0; k < ref.loo.length; k++) {
        expect(Math.abs(fr.looErrors![k] - ref.loo[k])).toBeLessThanOrEqual(1e-4 * ref.loo[k] + 1e-9);
      }
    }
    const scale = Math.max(...ref.pred.map(Math.abs));
    expect(maxAbsDiff(fr.predictions!.data, ref.pred) / scale).toBeLessThan(1e-4);
    const ours = c.keptY.map((t) => fr.scores[t]);
    ref.scores.forEach((s, j) => {
      if (s === null) expect(Number.isNaN(ours[j])).toBe(true);
      else expect(Math.abs(ours[j] - s)).toBeLessThan(1e-4);
    });
    // dropped targets score NaN
    for (let t = 0; t < c.v; t++) if (!c.keptY.includes(t)) expect(Number.isNaN(fr.scores[t])).toBe(true);
  });
}

/** Float32 products choose the same alphas and scores within 1e-3. */
function expectFloat32Parity(): void {
  for (const c of fixture.cases.filter((x) => ['primal', 'dual', 'sparse-dual', 'primal-encoding'].includes(x.name))) {
    const Y = { rows: c.n, cols: c.v, data: Float32Array.from(c.Y) };
    const res = fitRidgeCv(sourceOf(c), Y, {
      preset: c.preset,
      alphas: c.alphas,
      assignment: Int32Array.from(c.assignment),
      precision: 'f32',
    });
    c.folds.forEach((ref, f) => {
      if (c.preset !== 'encoding') expect(res.folds[f].alpha).toBe(ref.alpha);
      const ours = c.keptY.map((t) => res.folds[f].scores[t]);
      ref.scores.forEach((s, j) => {
        if (s !== null) expect(Math.abs(ours[j] - s)).toBeLessThan(1e-3);
      });
    });
  }
}

/** A preset scikit-learn has no fixture for: on the fixtures' designs, the same alphas and scores as the ts backend. */
function expectAgreesWithTs(preset: RidgePreset, b: Backend): void {
  for (const c of fixture.cases.filter((x) => ['primal', 'dual', 'sparse-dual'].includes(x.name))) {
    const Y = { rows: c.n, cols: c.v, data: Float32Array.from(c.Y) };
    const opts = { preset, alphas: c.alphas, assignment: Int32Array.from(c.assignment), precision: 'f64' as const };
    const undo = useBackend('ts');
    const ref = (() => {
      try {
        return fitRidgeCv(sourceOf(c), Y, opts);
      } finally {
        undo();
      }
    })();
    expect(computeBackend().gemm).not.toBe('ts');
    const res = fitRidgeCv(sourceOf(c), Y, opts);
    res.folds.forEach((fr, f) => {
      expect(fr.alpha, `${b} ${c.name} fold ${f}`).toBe(ref.folds[f].alpha);
      expect(maxAbsDiff(fr.scores.filter(Number.isFinite), ref.folds[f].scores.filter(Number.isFinite))).toBeLessThan(
        1e-4,
      );
    });
  }
}

const FIXTURE_PRESETS = new Set(fixture.cases.map((c) => c.preset));
const BACKENDS = Object.keys(UNAVAILABLE) as Backend[];

describe.each(BACKENDS)(`ridge parity with scikit-learn ${fixture.sklearn} RidgeCV on the %s backend`, (b) => {
  const why = UNAVAILABLE[b];
  let undo = () => {};
  beforeAll(async () => {
    if (why) return;
    if (b === 'tfjs-wasm') await initBackend('wasm');
    undo = useBackend(b);
  });
  afterAll(() => undo());

  it.skipIf(!!why)(`resolves every operation to ${b}${why ? ` (skipped: ${why})` : ''}`, () => expectResolved(b));

  describe.each(RIDGE_PRESETS)('preset %s', (preset) => {
    const cases = fixture.cases.filter((c) => c.preset === preset);
    if (cases.length === 0) {
      const skip = why ?? (b === 'ts' ? 'ts is the reference for presets without a fixture' : null);
      it.skipIf(!!skip)(`no scikit-learn fixture: agrees with the ts backend${skip ? ` (skipped: ${skip})` : ''}`, () =>
        expectAgreesWithTs(preset, b),
      );
      return;
    }
    for (const c of cases) {
      it.skipIf(!!why)(
        `${c.name} (n=${c.n}, p=${c.p}, v=${c.v}${c.csr ? ', CSR' : ''})${why ? ` (skipped: ${why})` : ''}`,
        () => expectSklearnParity(c),
      );
    }
  });

  it.skipIf(!!why)('float32 products choose the same alphas and scores within 1e-3', () => expectFloat32Parity());
});

it('every preset is covered by a fixture or by the comparison with the ts backend', () => {
  for (const preset of RIDGE_PRESETS) expect(PRESETS[preset]).toBeDefined();
  expect(FIXTURE_PRESETS.size).toBeGreaterThan(0);
});
