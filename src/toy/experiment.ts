/**
 * The paper's first experiment (science.md "Toy model of superposition"): two toy models that differ only
 * in seed, an SAE per model, and the alignment between their neurons vs between their SAE latents.
 *
 * Per hidden size N:
 *  1. train model A (seed seeds[0]) and model B (seed seeds[1]): 64 features, p = 0.1, AdamW, 10,000 steps;
 *  2. stream `samples` fresh inputs (dataSeed, the same inputs for both models): the first 80% feed one pass
 *     of SAE training per model (batch 1024), the last 20% are the evaluation stimuli;
 *  3. on the evaluation stimuli, cross-validated (K folds, kFoldAssignment(foldSeed)) semi-matching,
 *     soft-matching and ridge ('paper' preset) from A to B, for neurons and for SAE latents;
 *  4. every unit's best |Pearson r| with the 64 ground-truth feature values; feature overlap
 *     ||W_A,i|| * ||W_B,i|| per feature ("shared" when >= 1).
 */
import { initBackend } from '../compute/backend';
import { kFoldAssignment } from '../compute/folds';
import type { CsrMatrix, DenseMatrix, Matrix } from '../compute/matrix';
import { crossValidateMetric } from '../compute/metrics/cross-validate';
import { crossProduct, denseSubmatrix, standardizeColumnsInPlace } from '../compute/metrics/columns';
import { Rng } from '../compute/random';
import { fitRidgeCv } from '../compute/ridge/index';
import { sampleFeatures } from './data';
import { hiddenActivations, trainToyModel, type ToyModel } from './model';
import { encodeToySae, ToySaeTrainer, type ToySaeWeights } from './sae';

export interface ToySuperpositionOptions {
  nFeatures: number;
  hiddenSizes: number[];
  featureProb: number;
  /** Toy model training. */
  modelSteps: number;
  modelBatchSize: number;
  modelLr: number;
  /** AdamW decoupled weight decay for the models and the SAEs (PyTorch default 0.01). */
  weightDecay: number;
  /** Seeds of model A and model B (everything else identical). */
  seeds: [number, number];
  /** Inputs streamed through both models: the first trainFraction train the SAEs, the rest evaluate. */
  samples: number;
  trainFraction: number;
  dataSeed: number;
  /**
   * SAE settings. unitNormDecoder (default true): Gao et al.'s convention of unit-norm decoder rows (W_enc
   * initialised as W_dec^T, rows renormalised after every step); without it the toy SAEs recover the
   * features far less well for the same data (see src/toy/README.md).
   */
  sae: {
    latents: number;
    k: number;
    auxWeight: number;
    lr: number;
    batchSize: number;
    deadAfterSteps: number;
    seed: number;
    unitNormDecoder: boolean;
  };
  /** Cross-validation over the evaluation stimuli. */
  folds: number;
  foldSeed: number;
  /** Also run cross-validated ridge ('paper' preset) from A to B. */
  ridge: boolean;
  signal?: AbortSignal;
}

export const DEFAULT_TOY_OPTIONS: Readonly<ToySuperpositionOptions> = Object.freeze({
  nFeatures: 64,
  hiddenSizes: [8, 16, 32],
  featureProb: 0.1,
  modelSteps: 10_000,
  modelBatchSize: 1024,
  modelLr: 1e-3,
  weightDecay: 0.01,
  seeds: [1, 2] as [number, number],
  samples: 1 << 23,
  trainFraction: 0.8,
  dataSeed: 12345,
  sae: { latents: 64, k: 7, auxWeight: 0.1, lr: 1e-3, batchSize: 1024, deadAfterSteps: 20, seed: 7, unitNormDecoder: true },
  folds: 5,
  foldSeed: 0,
  ridge: true,
});

export interface CvSummary {
  mean: number;
  sem: number;
  foldScores: number[];
  droppedSource: number;
  droppedTarget: number;
}

export interface SaeReport {
  /** Fraction of variance unexplained on the evaluation stimuli. */
  fvu: number;
  /** Mean non-zero latents per stimulus. */
  meanL0: number;
  /** Share of latents that never fire on the evaluation stimuli. */
  deadFraction: number;
  /** Mean training loss over the last 10 steps. */
  finalTrainLoss: number;
}

export interface GroundTruthReport {
  /** Mean over live units of the best |r| with any ground-truth feature, per model [A, B]. */
  meanBestAbsCorr: [number, number];
  /** Per model: best |r| of every unit (NaN for units constant on the evaluation stimuli). */
  bestAbsCorr: [number[], number[]];
}

export interface ToyHiddenSizeResult {
  nHidden: number;
  modelLoss: [number, number];
  sae: [SaeReport, SaeReport];
  neurons: { semiMatching: CvSummary; softMatching: CvSummary; ridge?: CvSummary | { error: string } };
  saeLatents: { semiMatching: CvSummary; softMatching: CvSummary; ridge?: CvSummary | { error: string } };
  groundTruth: { neurons: GroundTruthReport; saeLatents: GroundTruthReport };
  overlap: { perFeature: number[]; mean: number; median: number; shared: number };
  seconds: number;
}

export interface ToySuperpositionResult {
  options: Omit<ToySuperpositionOptions, 'signal'>;
  backend: string;
  results: ToyHiddenSizeResult[];
}

export interface ToyProgress {
  nHidden: number;
  stage: 'model-a' | 'model-b' | 'sae' | 'metrics';
  done: number;
  total: number;
}

/** Run the experiment for every hidden size (options merged over DEFAULT_TOY_OPTIONS). */
export async function runToySuperposition(
  options: Partial<Omit<ToySuperpositionOptions, 'sae'>> & { sae?: Partial<ToySuperpositionOptions['sae']> } = {},
  onProgress?: (p: ToyProgress) => void,
): Promise<ToySuperpositionResult> {
  const o: ToySuperpositionOptions = { ...DEFAULT_TOY_OPTIONS, ...options, sae: { ...DEFAULT_TOY_OPTIONS.sae, ...options.sae } };
  const backend = await initBackend();
  const results: ToyHiddenSizeResult[] = [];
  for (const n of o.hiddenSizes) results.push(await runHiddenSize(o, n, onProgress));
  const { signal: _signal, ...rest } = o;
  return { options: rest, backend: backend.name, results };
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('toy experiment aborted');
}

async function runHiddenSize(
  o: ToySuperpositionOptions,
  nHidden: number,
  onProgress?: (p: ToyProgress) => void,
): Promise<ToyHiddenSizeResult> {
  const t0 = performance.now();
  const F = o.nFeatures;
  const models: ToyModel[] = [];
  for (const [m, seed] of o.seeds.entries()) {
    const stage = m === 0 ? 'model-a' : 'model-b';
    models.push(
      trainToyModel(
        { nFeatures: F, nHidden, featureProb: o.featureProb, steps: o.modelSteps, batchSize: o.modelBatchSize, lr: o.modelLr, weightDecay: o.weightDecay, seed },
        (done, total) => {
          checkAbort(o.signal);
          onProgress?.({ nHidden, stage, done, total });
        },
      ),
    );
    await new Promise((r) => setImmediate(r));
  }

  // SAE training: one pass over the first trainFraction of the streamed inputs.
  const nTrain = Math.floor(o.samples * o.trainFraction);
  const nTest = o.samples - nTrain;
  const dataRng = new Rng(o.dataSeed);
  const trainers = models.map(
    (_, m) =>
      new ToySaeTrainer({
        inputDim: nHidden,
        latentDim: o.sae.latents,
        k: o.sae.k,
        auxWeight: o.sae.auxWeight,
        deadAfterSteps: o.sae.deadAfterSteps,
        lr: o.sae.lr,
        weightDecay: o.weightDecay,
        seed: o.sae.seed + m,
        unitNormDecoder: o.sae.unitNormDecoder,
      }),
  );
  const saeSteps = Math.ceil(nTrain / o.sae.batchSize);
  const lastLosses: number[][] = [[], []];
  for (let s = 0; s < saeSteps; s++) {
    const rows = Math.min(o.sae.batchSize, nTrain - s * o.sae.batchSize);
    const x = sampleFeatures(dataRng, rows, F, o.featureProb);
    for (let m = 0; m < 2; m++) {
      const loss = trainers[m].step(hiddenActivations(models[m], x, rows), rows);
      if (s >= saeSteps - 10) lastLosses[m].push(loss);
    }
    if ((s + 1) % 50 === 0 || s + 1 === saeSteps) {
      checkAbort(o.signal);
      onProgress?.({ nHidden, stage: 'sae', done: s + 1, total: saeSteps });
      await new Promise((r) => setImmediate(r));
    }
  }
  const saes: ToySaeWeights[] = trainers.map((t) => t.weights);

  // Evaluation stimuli.
  const xTest = sampleFeatures(dataRng, nTest, F, o.featureProb);
  const hidden = models.map((m) => hiddenActivations(m, xTest, nTest));
  const encoded = saes.map((s, m) => encodeToySae(s, hidden[m], nTest));
  const H: DenseMatrix<Float32Array>[] = hidden.map((h) => ({ rows: nTest, cols: nHidden, data: h }));
  const Z: CsrMatrix[] = encoded.map((e) => e.z);
  const saeReports = saes.map((s, m) => saeReport(H[m], encoded[m].xhat, Z[m], lastLosses[m])) as [SaeReport, SaeReport];

  onProgress?.({ nHidden, stage: 'metrics', done: 0, total: 1 });
  const assignment = kFoldAssignment(nTest, o.folds, o.foldSeed);
  const compare = (A: Matrix, B: Matrix) => ({
    semiMatching: summary(crossValidateMetric('semi-matching', A, B, assignment)),
    softMatching: summary(crossValidateMetric('soft-matching', A, B, assignment)),
    ...(o.ridge ? { ridge: ridgeSummary(A, B, assignment) } : {}),
  });
  const neurons = compare(H[0], H[1]);
  const saeLatents = compare(Z[0], Z[1]);
  const features: DenseMatrix<Float32Array> = { rows: nTest, cols: F, data: xTest };
  const groundTruth = {
    neurons: groundTruthReport(features, H[0], H[1]),
    saeLatents: groundTruthReport(features, Z[0], Z[1]),
  };
  onProgress?.({ nHidden, stage: 'metrics', done: 1, total: 1 });

  return {
    nHidden,
    modelLoss: [models[0].finalLoss, models[1].finalLoss],
    sae: saeReports,
    neurons,
    saeLatents,
    groundTruth,
    overlap: featureOverlap(models[0], models[1]),
    seconds: (performance.now() - t0) / 1000,
  };
}

function summary(r: { mean: number; sem: number; foldScores: number[]; droppedSource: number; droppedTarget: number }): CvSummary {
  return { mean: r.mean, sem: r.sem, foldScores: r.foldScores, droppedSource: r.droppedSource, droppedTarget: r.droppedTarget };
}

/** Cross-validated ridge ('paper' preset) from A to B; an error is reported, not thrown. */
function ridgeSummary(A: Matrix, B: Matrix, assignment: Int32Array): CvSummary | { error: string } {
  try {
    const Y = denseSubmatrix(B, range(B.rows), range(B.cols));
    const Y32: DenseMatrix<Float32Array> = { rows: Y.rows, cols: Y.cols, data: Float32Array.from(Y.data) };
    const r = fitRidgeCv(A, Y32, { preset: 'paper', assignment });
    return {
      mean: r.mean,
      sem: r.sem,
      foldScores: r.folds.map((f) => f.meanScore),
      droppedSource: r.source.dropped,
      droppedTarget: r.targets.dropped,
    };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** FVU = ||h - hhat||^2 / ||h - mean(h)||^2, mean L0 and never-firing share on the evaluation stimuli. */
function saeReport(H: DenseMatrix<Float32Array>, xhat: Float32Array, Z: CsrMatrix, lastLosses: number[]): SaeReport {
  const { rows, cols, data } = H;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  let err = 0;
  let tot = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      err += (v - xhat[r * cols + c]) ** 2;
      tot += (v - mean[c]) ** 2;
    }
  }
  const fired = new Uint8Array(Z.cols);
  for (const j of Z.indices) fired[j] = 1;
  const dead = Z.cols - fired.reduce((a, b) => a + b, 0);
  return {
    fvu: err / tot,
    meanL0: Z.indices.length / rows,
    deadFraction: dead / Z.cols,
    finalTrainLoss: lastLosses.reduce((a, b) => a + b, 0) / Math.max(1, lastLosses.length),
  };
}

/** Best |Pearson r| of every unit with any ground-truth feature (NaN for a constant unit). */
function bestAbsCorr(features: DenseMatrix<Float32Array>, units: Matrix): number[] {
  const all = range(features.rows);
  const Fz = standardizeColumnsInPlace(denseSubmatrix(features, all, range(features.cols)));
  const U = denseSubmatrix(units, all, range(units.cols));
  // Constant columns are zeroed by the standardisation; flag them so that they do not count as r = 0.
  const constant = new Uint8Array(U.cols);
  for (let c = 0; c < U.cols; c++) {
    let same = true;
    for (let r = 1; r < U.rows && same; r++) same = U.data[r * U.cols + c] === U.data[c];
    constant[c] = same ? 1 : 0;
  }
  standardizeColumnsInPlace(U);
  const C = crossProduct(U, Fz, 'f64'); // units x features
  const out: number[] = [];
  for (let u = 0; u < U.cols; u++) {
    if (constant[u]) {
      out.push(NaN);
      continue;
    }
    let best = 0;
    for (let f = 0; f < features.cols; f++) best = Math.max(best, Math.abs(C[u * features.cols + f]));
    out.push(best);
  }
  return out;
}

function groundTruthReport(features: DenseMatrix<Float32Array>, a: Matrix, b: Matrix): GroundTruthReport {
  const ra = bestAbsCorr(features, a);
  const rb = bestAbsCorr(features, b);
  const meanFinite = (v: number[]) => {
    const f = v.filter(Number.isFinite);
    return f.reduce((p, q) => p + q, 0) / f.length;
  };
  return { meanBestAbsCorr: [meanFinite(ra), meanFinite(rb)], bestAbsCorr: [ra, rb] };
}

/** ||W_A,i|| * ||W_B,i|| for every feature i; mean, median and how many are >= 1 ("shared"). */
function featureOverlap(a: ToyModel, b: ToyModel): { perFeature: number[]; mean: number; median: number; shared: number } {
  const F = a.nFeatures;
  const N = a.nHidden;
  const norm = (W: Float32Array, i: number) => {
    let s = 0;
    for (let j = 0; j < N; j++) s += W[i * N + j] ** 2;
    return Math.sqrt(s);
  };
  const perFeature = Array.from({ length: F }, (_, i) => norm(a.W, i) * norm(b.W, i));
  const sorted = [...perFeature].sort((p, q) => p - q);
  const median = F % 2 ? sorted[(F - 1) / 2] : (sorted[F / 2 - 1] + sorted[F / 2]) / 2;
  return {
    perFeature,
    mean: perFeature.reduce((p, q) => p + q, 0) / F,
    median,
    shared: perFeature.filter((v) => v >= 1).length,
  };
}
