/**
 * Training a TopK SAE on a layer's activations, epoch by epoch, with the step of trainer.ts (AuxK variants,
 * losses and optimisers there). As align-interp train_sae.py (96006be): every sample trains (no held-out split
 * unless heldOutFraction > 0, and then the split is returned and stored in the SAE's metadata), rows are
 * reshuffled every epoch and the last partial batch is dropped (DataLoader shuffle=True, drop_last=True);
 * dropLast: false keeps it.
 * Reproducible: init, split and shuffles come from Rng(seed); the same seed on the same backend gives
 * bit-identical weights.
 */
import { initBackend, tf } from '../compute/backend';
import { takeRows, type DenseMatrix } from '../compute/matrix';
import { Rng } from '../compute/random';
import { checkInput } from './encode';
import { SaeAbortError } from './errors';
import { yieldToEventLoop } from './forward';
import { evaluatePreprocessed, type SaeMetrics } from './metrics';
import { preprocessRows, type TopKSae } from './model';
import { initialSaeWeights } from './untrained';
import { resolveTrainSettings, type ResolvedSaeTrainSettings, type SaeTrainSettingsInput } from './settings';
import { SaeTrainer } from './trainer';

export interface SaeCurvePoint {
  /** 1-based epoch. */
  epoch: number;
  /** Mean over the epoch's samples of the per-sample squared error (main term, before the update). */
  loss: number;
  /** Same for the AuxK term (0 when no latent was dead). */
  auxLoss: number;
  /** Held-out metrics at the end of the epoch (null without a held-out split). */
  heldOutFvu: number | null;
  heldOutMeanL0: number | null;
  /** Share of latents never active on the held-out samples (null without a held-out split). */
  heldOutDeadShare: number | null;
  /** Share of latents dead by the training rule (no firing for deadSteps steps) at the end of the epoch. */
  trainDeadShare: number;
}

export interface SaeTrainProgress {
  kind: 'step' | 'epoch';
  /** 1-based epoch in progress (or just finished, for kind 'epoch'). */
  epoch: number;
  epochs: number;
  /** 1-based global step (steps done so far). */
  step: number;
  totalSteps: number;
  /** Main loss of the last batch (kind 'step'). */
  batchLoss?: number;
  /** The epoch's curve point (kind 'epoch'). */
  curve?: SaeCurvePoint;
}

export interface SaeTrainOptions {
  /** Called after every step and at the end of every epoch; keep it cheap. */
  onProgress?: (p: SaeTrainProgress) => void;
  /** Cancels between steps; the promise then rejects with SaeAbortError (name "AbortError"). */
  signal?: AbortSignal;
  /** Rows per chunk for the per-epoch held-out evaluation (default 1024). */
  evalBatchSize?: number;
}

export interface SaeTrainResult {
  /** Trained SAE; metadata.training holds the resolved settings (JSON), metadata.metrics the final metrics. */
  sae: TopKSae;
  settings: ResolvedSaeTrainSettings;
  curves: SaeCurvePoint[];
  /** Final metrics on the held-out samples (on the training samples when heldOutFraction = 0; see evaluatedOn). */
  metrics: SaeMetrics & { evaluatedOn: 'heldOut' | 'train' };
  /** Row indices of X used for training and held out (ascending). */
  trainIndices: Int32Array;
  heldOutIndices: Int32Array;
}

/** Split of 0..n-1 into train and held-out rows (each ascending): seeded random, or the last rows held out. */
export function splitRows(
  n: number,
  heldOutRows: number,
  seed: number,
  mode: 'random' | 'tail' = 'random',
): { train: Int32Array; heldOut: Int32Array } {
  if (mode === 'tail') {
    return {
      train: Int32Array.from({ length: n - heldOutRows }, (_, i) => i),
      heldOut: Int32Array.from({ length: heldOutRows }, (_, i) => n - heldOutRows + i),
    };
  }
  const perm = new Rng(seed ^ 0x5eed5a1e).shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const heldOut = perm.slice(0, heldOutRows).sort();
  const train = perm.slice(heldOutRows).sort();
  return { train, heldOut };
}

/**
 * Train a TopK SAE on X (n samples x d units, raw activations; preprocessing per settings.preprocessing).
 * Throws SaeValidationError (field named) for bad settings or input, SaeAbortError when `signal` fires.
 */
export async function trainTopKSae(
  X: DenseMatrix,
  settingsInput: SaeTrainSettingsInput,
  options: SaeTrainOptions = {},
): Promise<SaeTrainResult> {
  const { rows: n, cols: d } = X;
  const s = resolveTrainSettings(settingsInput, n, d);
  checkInput(X, d);
  await initBackend();
  const { k, latents: m, batchSize: B } = s;
  const { signal, onProgress } = options;

  const split = splitRows(n, s.heldOutRows, s.seed, s.split);
  const xTrain = preprocessRows(takeRows(X, split.train), s.preprocessing);
  const xHeld = s.heldOutRows > 0 ? preprocessRows(takeRows(X, split.heldOut), s.preprocessing) : null;
  const nTrain = split.train.length;
  const stepsPerEpoch = s.dropLast ? Math.floor(nTrain / B) : Math.ceil(nTrain / B);
  const totalSteps = stepsPerEpoch * s.epochs;

  const trainer = new SaeTrainer(initialSaeWeights(d, s), s, B);
  const shuffleRng = new Rng(s.seed ^ 0x0badcafe);
  const order = Int32Array.from({ length: nTrain }, (_, i) => i);
  const xb = new Float32Array(B * d);
  const curves: SaeCurvePoint[] = [];
  const evalOpts = { batchSize: options.evalBatchSize, signal };

  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    if (s.shuffle) shuffleRng.shuffle(order);
    let lossSum = 0;
    let auxSum = 0;
    let seen = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      if (signal?.aborted) throw new SaeAbortError(signal.reason);
      const start = b * B;
      const rows = Math.min(B, nTrain - start);
      for (let r = 0; r < rows; r++) xb.set(xTrain.subarray(order[start + r] * d, (order[start + r] + 1) * d), r * d);
      const { loss, auxLoss } = trainer.step(xb.subarray(0, rows * d), rows);
      lossSum += loss * rows;
      auxSum += auxLoss * rows;
      seen += rows;
      onProgress?.({ kind: 'step', epoch, epochs: s.epochs, step: trainer.steps, totalSteps, batchLoss: loss });
      await yieldToEventLoop();
    }
    const held = xHeld ? await evaluatePreprocessed(trainer.weights(), k, xHeld, s.heldOutRows, evalOpts) : null;
    const point: SaeCurvePoint = {
      epoch,
      loss: lossSum / seen,
      auxLoss: auxSum / seen,
      heldOutFvu: held ? held.fvu : null,
      heldOutMeanL0: held ? held.meanL0 : null,
      heldOutDeadShare: held ? held.deadShare : null,
      trainDeadShare: trainer.deadCount() / m,
    };
    curves.push(point);
    onProgress?.({ kind: 'epoch', epoch, epochs: s.epochs, step: trainer.steps, totalSteps, curve: point });
  }

  const weights = trainer.weights();
  const final = xHeld
    ? { ...(await evaluatePreprocessed(weights, k, xHeld, s.heldOutRows, evalOpts)), evaluatedOn: 'heldOut' as const }
    : { ...(await evaluatePreprocessed(weights, k, xTrain, nTrain, evalOpts)), evaluatedOn: 'train' as const };
  const sae: TopKSae = {
    inputDim: d,
    latentDim: m,
    k,
    preprocessing: s.preprocessing,
    weights,
    metadata: {
      training: JSON.stringify(s),
      metrics: JSON.stringify(final),
      backend: tf.getBackend(),
      // The held-out rows (indices into the layer's activation rows) travel with the SAE when a split was asked for.
      ...(xHeld ? { heldOutRows: JSON.stringify(Array.from(split.heldOut)) } : {}),
    },
  };
  return { sae, settings: s, curves, metrics: final, trainIndices: split.train, heldOutIndices: split.heldOut };
}
