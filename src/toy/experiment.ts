/**
 * The paper's first experiment as the authors designed it (align-interp toy_models.py toy_align and
 * plot_utils.py plot_toy_alignments / plot_toy_sae_val_hist / plot_toy_weight_histos, commit 96006be):
 *  1. one data set (`samples` rows, dataSeed) shared by every model;
 *  2. per hidden size N, model A (seeds[0]) and model B (seeds[1]) differ ONLY in initialisation: both train on
 *     the data set in the same order (batch s = rows s*B ..; wrapping when steps x B > samples; the authors'
 *     data set had exactly steps x B = 10,240,000 rows);
 *  3. per model, an SAE trains on the hidden activations of the first trainFraction of the rows, in order,
 *     one pass, last partial batch kept (DataLoader shuffle=False, drop_last=False); the SAE follows ToySAE:
 *     xavier-normal init, no decoder-norm constraint, the 'authors-toy' AuxK with weight 0.1, losses as means over
 *     entries, AdamW lr 1e-3, the same SAE seed for both models (torch.manual_seed(0) before each);
 *  4. on the remaining rows: cross-validated soft-matching (the paper's bars) and semi-matching (and ridge,
 *     'paper' preset) from A to B for neurons, for SAE latents, and from an untrained SAE of A to B's SAE
 *     (the authors' "Rand SAE -> SAE" control); ground truth per feature (max signed r over units) and per unit
 *     (best |r|, labelled); feature overlap ||W_A,i|| ||W_B,i||.
 */
import { availableParallelism } from 'node:os';
import { initBackend } from '../compute/backend';
import { kFoldAssignment } from '../compute/folds';
import { linalgInfo, nativeAddon } from '../compute/linalg/native';
import { csrToDense, isCsr, type CsrMatrix, type DenseMatrix, type Matrix } from '../compute/matrix';
import { crossValidateMatching } from '../compute/metrics/cross-validate';
import { fitRidgeCv } from '../compute/ridge/index';
import type { Progress } from '../progress';
import { encodeSparse } from '../sae/encode';
import { evaluateSae } from '../sae/metrics';
import { DEFAULT_PREPROCESSING, type SaeWeights, type TopKSae } from '../sae/model';
import { initialSaeWeights } from '../sae/untrained';
import { resolveTrainSettings, type AuxKVariant, type ResolvedSaeTrainSettings } from '../sae/settings';
import { SaeTrainer } from '../sae/trainer';
import { denseRows, featureImportance, generateToyData, type ToyDataset } from './data';
import { hiddenActivations, trainToyModel, type ToyModel } from './model';
import { featureOverlap, perFeatureMax, perUnitBestAbs, unitFeatureCorrelation } from './stats';
import { replicateOptions, summariseReplicates, type ToyReplicate, type ToyReplicateSummary } from './replicates';
import { runHiddenSizesInThreads, shareDataset } from './threads';
import { throwIfAborted } from '../errors';

export interface ToySaeOptions {
  latents: number;
  k: number;
  auxWeight: number;
  lr: number;
  batchSize: number;
  /** Seed of both SAEs' initialisation (the authors call torch.manual_seed(0) before each). */
  seed: number;
  auxK: AuxKVariant;
  init: 'kaiming-uniform' | 'xavier-normal';
  decoderNorm: 'none' | 'unit';
}

export interface ToySuperpositionOptions {
  nFeatures: number;
  hiddenSizes: number[];
  featureProb: number;
  importance: 'powerlaw' | 'uniform';
  modelSteps: number;
  modelBatchSize: number;
  modelLr: number;
  /** AdamW decoupled weight decay for the models and the SAEs (PyTorch default 0.01). */
  weightDecay: number;
  /** Initialisation seeds of model A and model B (the data set is shared). */
  seeds: [number, number];
  /** Rows of the shared data set: the first trainFraction train the SAEs, the rest evaluate. */
  samples: number;
  trainFraction: number;
  dataSeed: number;
  sae: ToySaeOptions;
  folds: number;
  foldSeed: number;
  /** Also run cross-validated ridge ('paper' preset) from A to B. */
  ridge: boolean;
  /**
   * Replicates (replicates.ts): replicate r runs every N again with model seeds seeds + 2r and SAE seed
   * sae.seed + r on the same data set; per N each statistic gets its mean and a 95% t interval over replicates.
   * Default 5 at every size (tests ask for fewer).
   */
  replicates: number;
  /**
   * Hidden sizes run at once, each on its own worker thread (threads.ts); default min(#sizes, cores + 1): the
   * sizes differ ~2x in cost, so as many lanes as cores leave a core idle at the end, one more keeps both busy
   * (memory: ~1.5-2 GB per size at 2^23 samples). 1 runs them one after the other in this thread. Results do not
   * depend on it.
   */
  threads?: number;
  signal?: AbortSignal;
}

export const DEFAULT_TOY_OPTIONS: Readonly<ToySuperpositionOptions> = Object.freeze({
  nFeatures: 64,
  hiddenSizes: [8, 16, 32],
  featureProb: 0.1,
  importance: 'powerlaw' as const,
  modelSteps: 10_000,
  modelBatchSize: 1024,
  modelLr: 1e-3,
  weightDecay: 0.01,
  seeds: [0, 1] as [number, number],
  samples: 1 << 23,
  trainFraction: 0.8,
  dataSeed: 12345,
  sae: {
    latents: 64,
    k: 7,
    auxWeight: 0.1,
    lr: 1e-3,
    batchSize: 1024,
    seed: 0,
    auxK: 'authors-toy' as const,
    init: 'xavier-normal' as const,
    decoderNorm: 'none' as const,
  },
  folds: 5,
  foldSeed: 0,
  ridge: true,
  replicates: 5,
});

export interface CvSummary {
  mean: number;
  sem: number;
  foldScores: number[];
  droppedSource: number;
  droppedTarget: number;
}

export interface SaeReport {
  /** Fraction of variance unexplained on the evaluation rows (src/sae evaluateSae). */
  fvu: number;
  meanL0: number;
  /** Share of latents never active on the evaluation rows. */
  deadFraction: number;
  /** Mean main training loss over the last 10 steps. */
  finalTrainLoss: number;
}

export interface GroundTruthReport {
  /** Per feature, the maximum signed r over units (the paper's statistic), per model [A, B]. */
  perFeatureMax: [number[], number[]];
  meanPerFeatureMax: [number, number];
  /** Per unit, the best |r| over features (NaN for a constant unit), per model [A, B]. */
  perUnitBestAbs: [number[], number[]];
  meanPerUnitBestAbs: [number, number];
}

export interface ToyHiddenSizeResult {
  nHidden: number;
  modelLoss: [number, number];
  sae: [SaeReport, SaeReport];
  neurons: { semiMatching: CvSummary; softMatching: CvSummary; ridge?: CvSummary | { error: string } };
  saeLatents: { semiMatching: CvSummary; softMatching: CvSummary; ridge?: CvSummary | { error: string } };
  /** Untrained SAE (same architecture and seed) on model A -> trained SAE of model B ("Rand SAE -> SAE"). */
  randomSae: { softMatching: CvSummary };
  groundTruth: { neurons: GroundTruthReport; saeLatents: GroundTruthReport };
  overlap: { perFeature: number[]; mean: number; median: number; shared: number };
  seconds: number;
  /** Wall seconds per stage (in this hidden size's thread): models, SAEs, ridge, the other metrics. */
  stageSeconds: { models: number; saes: number; ridge: number; metrics: number };
}

export interface ToySuperpositionResult {
  options: Omit<ToySuperpositionOptions, 'signal'>;
  backend: string;
  /** Seconds spent generating the shared data set. */
  dataSeconds: number;
  /** Per N, replicate 0 (options.seeds, options.sae.seed): the single run of earlier versions. */
  results: ToyHiddenSizeResult[];
  /** Every replicate (its seeds and per-N results), replicate 0 first. */
  replicates: ToyReplicate[];
  /** Per N: each statistic's mean over replicates and its 95% t interval. */
  summary: ToyReplicateSummary[];
}

/** Progress of one hidden size (nHidden 0: the shared data set). */
export interface ToyProgress extends Progress {
  nHidden: number;
  /** Replicate index (0 when there is one). */
  replicate?: number;
  stage: 'data' | 'model-a' | 'model-b' | 'sae' | 'metrics';
}

type ToyOptionsInput = Partial<Omit<ToySuperpositionOptions, 'sae'>> & { sae?: Partial<ToySaeOptions> };

/** Run the experiment for every hidden size (options merged over DEFAULT_TOY_OPTIONS). */
export async function runToySuperposition(
  options: ToyOptionsInput = {},
  onProgress?: (p: ToyProgress) => void,
): Promise<ToySuperpositionResult> {
  const o: ToySuperpositionOptions = {
    ...DEFAULT_TOY_OPTIONS,
    ...options,
    sae: { ...DEFAULT_TOY_OPTIONS.sae, ...options.sae },
  };
  const backend = await initBackend();
  // Every product here is tiny (1024 x 64 x 32): OpenBLAS threads only add hand-off and spin time (measured:
  // 0.47 vs 0.37 ms per model step pair on 2 loaded cores), so the addon runs single-threaded meanwhile.
  const nat = nativeAddon();
  const threads = nat ? linalgInfo().threads : undefined;
  nat?.setThreads(1);
  try {
    onProgress?.({ nHidden: 0, stage: 'data', done: 0, total: 1 });
    const t0 = performance.now();
    const R = Math.max(1, o.replicates);
    const tasks = Array.from({ length: R }, (_, r) =>
      o.hiddenSizes.map((nHidden) => ({ options: replicateOptions(o, r), nHidden, replicate: r })),
    ).flat();
    const threads = Math.max(1, Math.min(o.threads ?? availableParallelism() + 1, tasks.length));
    let data = generateToyData(o.samples, o.nFeatures, o.featureProb, o.dataSeed);
    if (threads > 1) data = shareDataset(data);
    const dataSeconds = (performance.now() - t0) / 1000;
    const { signal: _signal, ...rest } = { ...o, threads, replicates: R };
    const flat: ToyHiddenSizeResult[] = [];
    if (threads > 1) {
      const shared = tasks.map(({ options: { signal: _s, ...opts }, ...t }) => ({ ...t, options: opts, data }));
      flat.push(...(await runHiddenSizesInThreads(shared, threads, o.signal, onProgress)));
    } else for (const t of tasks) flat.push(await runHiddenSize(t.options, data, t.nHidden, onProgress, t.replicate));
    const nN = o.hiddenSizes.length;
    const replicates: ToyReplicate[] = Array.from({ length: R }, (_, r) => ({
      replicate: r,
      seeds: tasks[r * nN].options.seeds,
      saeSeed: tasks[r * nN].options.sae.seed,
      results: flat.slice(r * nN, (r + 1) * nN),
    }));
    const summary = summariseReplicates(o.hiddenSizes, replicates);
    return { options: rest, backend: backend.name, dataSeconds, results: replicates[0].results, replicates, summary };
  } finally {
    if (nat && threads) nat.setThreads(threads);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function toySae(w: SaeWeights, k: number, settings: string): TopKSae {
  return {
    inputDim: w.wEnc.rows,
    latentDim: w.wEnc.cols,
    k,
    // ToySAE takes the raw hidden activations: no clamp, no LN.
    preprocessing: { ...DEFAULT_PREPROCESSING, layerNorm: false },
    weights: w,
    metadata: { training: settings },
  };
}

/** One hidden size: both models, both SAEs, the metrics (the unit a worker thread runs, threads.ts). */
export async function runHiddenSize(
  o: ToySuperpositionOptions,
  data: ToyDataset,
  nHidden: number,
  progress?: (p: ToyProgress) => void,
  replicate = 0,
): Promise<ToyHiddenSizeResult> {
  const t0 = performance.now();
  const onProgress = progress && ((p: ToyProgress) => progress({ ...p, replicate }));
  const models = await trainToyModels(o, data, nHidden, onProgress);
  const stageSeconds = { models: (performance.now() - t0) / 1000, saes: 0, ridge: 0, metrics: 0 };
  let tStage = performance.now();
  const saes = await trainToySaes(o, data, models, onProgress);
  stageSeconds.saes = (performance.now() - tStage) / 1000;
  tStage = performance.now();

  // Evaluation rows.
  onProgress?.({ nHidden, stage: 'metrics', done: 0, total: 1 });
  const { nTrain } = saes;
  const H = models.map((model) => evaluationActivations(o, data, model, nTrain));
  const { Z, zRandom, reports } = await encodeEvaluationRows(o, saes, H);
  const assignment = kFoldAssignment(o.samples - nTrain, o.folds, o.foldSeed);
  const compare = (A: Matrix, Bm: Matrix) => {
    const m = crossValidateMatching(A, Bm, assignment);
    const t = performance.now();
    const ridge = o.ridge ? { ridge: ridgeSummary(A, Bm, assignment) } : {};
    stageSeconds.ridge += (performance.now() - t) / 1000;
    return { semiMatching: summary(m['semi-matching']), softMatching: summary(m['soft-matching']), ...ridge };
  };
  const neurons = compare(H[0], H[1]);
  throwIfAborted(o.signal);
  const saeLatents = compare(Z[0], Z[1]);
  throwIfAborted(o.signal);
  const randomSae = { softMatching: summary(crossValidateMatching(zRandom, Z[1], assignment)['soft-matching']) };
  const groundTruth = {
    neurons: groundTruthReport(data, nTrain, H[0], H[1]),
    saeLatents: groundTruthReport(data, nTrain, Z[0], Z[1]),
  };
  onProgress?.({ nHidden, stage: 'metrics', done: 1, total: 1 });
  stageSeconds.metrics = (performance.now() - tStage) / 1000 - stageSeconds.ridge;

  return {
    nHidden,
    modelLoss: [models[0].finalLoss, models[1].finalLoss],
    sae: reports,
    neurons,
    saeLatents,
    randomSae,
    groundTruth,
    overlap: featureOverlap(models[0], models[1]),
    seconds: (performance.now() - t0) / 1000,
    stageSeconds,
  };
}

/** Model A and model B: the same data in the same order, different initialisation seeds. */
async function trainToyModels(
  o: ToySuperpositionOptions,
  data: ToyDataset,
  nHidden: number,
  onProgress?: (p: ToyProgress) => void,
): Promise<ToyModel[]> {
  const importance = featureImportance(o.nFeatures, o.importance);
  const models: ToyModel[] = [];
  for (const [m, seed] of o.seeds.entries()) {
    const stage = m === 0 ? 'model-a' : 'model-b';
    models.push(
      trainToyModel(
        data,
        {
          nHidden,
          steps: o.modelSteps,
          batchSize: o.modelBatchSize,
          lr: o.modelLr,
          weightDecay: o.weightDecay,
          seed,
          importance,
        },
        (done, total) => {
          throwIfAborted(o.signal);
          onProgress?.({ nHidden, stage, done, total });
        },
      ),
    );
    await tick();
  }
  return models;
}

/** Both models' trained SAEs, with what evaluation needs of their training. */
interface ToySaes {
  nHidden: number;
  /** Rows that trained the SAEs (the first trainFraction); the rest evaluate. */
  nTrain: number;
  settings: ResolvedSaeTrainSettings;
  trainers: SaeTrainer[];
  /** Main training loss of the last 10 steps, per model. */
  lastLosses: number[][];
}

/** The ToySAE settings: the authors' AuxK, xavier-normal init, mean losses, AdamW; one ordered pass. */
function toySaeSettings(o: ToySuperpositionOptions, nTrain: number, nHidden: number): ResolvedSaeTrainSettings {
  return resolveTrainSettings(
    {
      k: o.sae.k,
      latents: o.sae.latents,
      auxK: o.sae.auxK,
      auxKWeight: o.sae.auxWeight,
      init: o.sae.init,
      decoderNorm: o.sae.decoderNorm,
      reconstructionLoss: 'mean',
      optimizer: 'adamw',
      lr: o.sae.lr,
      adamEps: 1e-8,
      weightDecay: o.weightDecay,
      batchSize: o.sae.batchSize,
      dropLast: false,
      shuffle: false,
      epochs: 1,
      seed: o.sae.seed,
      preprocessing: { layerNorm: false },
    },
    nTrain,
    nHidden,
  );
}

/** SAEs: one pass, in order, over the hidden activations of the first trainFraction of the rows. */
async function trainToySaes(
  o: ToySuperpositionOptions,
  data: ToyDataset,
  models: ToyModel[],
  onProgress?: (p: ToyProgress) => void,
): Promise<ToySaes> {
  const nHidden = models[0].nHidden;
  const nTrain = Math.floor(o.samples * o.trainFraction);
  const B = o.sae.batchSize;
  const settings = toySaeSettings(o, nTrain, nHidden);
  const trainers = models.map(() => new SaeTrainer(initialSaeWeights(nHidden, settings), settings, B));
  const saeSteps = Math.ceil(nTrain / B);
  const lastLosses: number[][] = [[], []];
  onProgress?.({ nHidden, stage: 'sae', done: 0, total: saeSteps });
  const x = new Float32Array(B * o.nFeatures);
  const h = new Float32Array(B * nHidden);
  for (let s = 0; s < saeSteps; s++) {
    const rows = Math.min(B, nTrain - s * B);
    denseRows(data, s * B, rows, x);
    for (let m = 0; m < 2; m++) {
      hiddenActivations(models[m], x, rows, h);
      const { loss } = trainers[m].step(h.subarray(0, rows * nHidden), rows);
      if (s >= saeSteps - 10) lastLosses[m].push(loss);
    }
    if ((s + 1) % 100 === 0 || s + 1 === saeSteps) {
      throwIfAborted(o.signal);
      onProgress?.({ nHidden, stage: 'sae', done: s + 1, total: saeSteps });
      await tick();
    }
  }
  return { nHidden, nTrain, settings, trainers, lastLosses };
}

/** A model's hidden activations of the evaluation rows (those after nTrain), in chunks. */
function evaluationActivations(
  o: ToySuperpositionOptions,
  data: ToyDataset,
  model: ToyModel,
  nTrain: number,
): DenseMatrix<Float32Array> {
  const nTest = o.samples - nTrain;
  const nHidden = model.nHidden;
  const out = new Float32Array(nTest * nHidden);
  const chunk = 1 << 16;
  const xc = new Float32Array(chunk * o.nFeatures);
  for (let r0 = 0; r0 < nTest; r0 += chunk) {
    const rows = Math.min(chunk, nTest - r0);
    denseRows(data, nTrain + r0, rows, xc);
    hiddenActivations(model, xc, rows, out.subarray(r0 * nHidden, (r0 + rows) * nHidden));
  }
  return { rows: nTest, cols: nHidden, data: out };
}

/** Both SAEs' latents and reports on the evaluation rows, and the latents of model A's untrained twin. */
async function encodeEvaluationRows(
  o: ToySuperpositionOptions,
  trained: ToySaes,
  H: DenseMatrix<Float32Array>[],
): Promise<{ Z: CsrMatrix[]; zRandom: CsrMatrix; reports: [SaeReport, SaeReport] }> {
  const { settings, nHidden } = trained;
  const json = JSON.stringify(settings);
  const saes = trained.trainers.map((t) => toySae(t.weights(), settings.k, json));
  const Z: CsrMatrix[] = [];
  const reports: SaeReport[] = [];
  for (let m = 0; m < 2; m++) {
    Z.push(await encodeSparse(saes[m], H[m], { signal: o.signal, batchSize: 1 << 14 }));
    const q = await evaluateSae(saes[m], H[m], { signal: o.signal, batchSize: 1 << 14 });
    const ll = trained.lastLosses[m];
    reports.push({
      fvu: q.fvu,
      meanL0: q.meanL0,
      deadFraction: q.deadShare,
      finalTrainLoss: ll.reduce((a, b) => a + b, 0) / Math.max(1, ll.length),
    });
  }
  const zRandom = await encodeSparse(toySae(initialSaeWeights(nHidden, settings), settings.k, json), H[0], {
    signal: o.signal,
    batchSize: 1 << 14,
  });
  return { Z, zRandom, reports: reports as [SaeReport, SaeReport] };
}

function summary(r: CvSummary): CvSummary {
  return {
    mean: r.mean,
    sem: r.sem,
    foldScores: r.foldScores,
    droppedSource: r.droppedSource,
    droppedTarget: r.droppedTarget,
  };
}

/** Cross-validated ridge ('paper' preset) from A to B (B densified); an error is reported, not thrown. */
function ridgeSummary(A: Matrix, B: Matrix, assignment: Int32Array): CvSummary | { error: string } {
  try {
    const Y: DenseMatrix<Float32Array> = isCsr(B) ? csrToDense(B) : (B as DenseMatrix<Float32Array>);
    const r = fitRidgeCv(A, Y, { preset: 'paper', assignment });
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

function groundTruthReport(data: ToyDataset, start: number, a: Matrix, b: Matrix): GroundTruthReport {
  const ca = unitFeatureCorrelation(a, data, start);
  const cb = unitFeatureCorrelation(b, data, start);
  const pf: [number[], number[]] = [perFeatureMax(ca), perFeatureMax(cb)];
  const pu: [number[], number[]] = [perUnitBestAbs(ca), perUnitBestAbs(cb)];
  const meanFinite = (v: number[]) => {
    const f = v.filter(Number.isFinite);
    return f.reduce((p, q) => p + q, 0) / f.length;
  };
  return {
    perFeatureMax: pf,
    meanPerFeatureMax: [meanFinite(pf[0]), meanFinite(pf[1])],
    perUnitBestAbs: pu,
    meanPerUnitBestAbs: [meanFinite(pu[0]), meanFinite(pu[1])],
  };
}
