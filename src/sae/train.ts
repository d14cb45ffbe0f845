/**
 * Training a TopK SAE with the AuxK auxiliary loss (Gao et al. 2024), Adam or AdamW, explicit gradients.
 *
 * Per step, on a batch X (B x d, preprocessed):
 *   z    = ReLU(TopK_k(X W_enc + b_enc))              (CPU selection, ties -> lowest index, as in encoding)
 *   X^   = z W_dec + b_dec,  e = X^ - X
 *   L    = sum(e^2) / B                               (per-sample squared error summed over units, batch mean)
 *   dead = latents that have not fired for `deadSteps` steps (counted before this step)
 *   z_a  = ReLU(TopK_kAux over dead latents of X W_enc + b_enc)   (none when no latent is dead)
 *   L_a  = sum((z_a W_dec - (X - X^))^2) / B         (reconstruct the residual; X^ is treated as a constant)
 *   loss = L + auxKWeight * L_a
 * Parameters live on the CPU. Per step only X W_enc runs on the tfjs backend (dense matmul); the TopK
 * selection, the sparse forward/backward (gradients.ts, O(B (k + kAux) d)) and Adam/AdamW (optim.ts, PyTorch
 * semantics) run in plain loops. (Measured on wasm, d=2048, m=8192: transposed tfjs matmuls take seconds and
 * elementwise ops on 16M floats ~100 ms each, so a tensor-only step took ~8 s; this design avoids both.)
 * Reproducible: init, split and shuffles come from Rng(seed); the same seed on the same backend gives
 * bit-identical weights.
 */
import { initBackend, tf } from '../compute/backend';
import { takeRows, type DenseMatrix } from '../compute/matrix';
import { Rng } from '../compute/random';
import { checkInput } from './encode';
import { SaeAbortError } from './errors';
import { preActivationsFromTransposed, TopKRelu, transpose, yieldToEventLoop } from './forward';
import { sparseTopKGradients, zeroGrads, type CpuSaeParams, type SelectedLatents } from './gradients';
import { evaluatePreprocessed, type SaeMetrics } from './metrics';
import { initTopKSaeWeights, preprocessRows, type SaeWeights, type TopKSae } from './model';
import { adamMoments, adamStep, type AdamConfig } from './optim';
import { resolveTrainSettings, type ResolvedSaeTrainSettings, type SaeTrainSettingsInput } from './settings';
import { topKIndices } from './topk';

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
export function splitRows(n: number, heldOutRows: number, seed: number, mode: 'random' | 'tail' = 'random'): { train: Int32Array; heldOut: Int32Array } {
  if (mode === 'tail') {
    return { train: Int32Array.from({ length: n - heldOutRows }, (_, i) => i), heldOut: Int32Array.from({ length: heldOutRows }, (_, i) => n - heldOutRows + i) };
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
export async function trainTopKSae(X: DenseMatrix, settingsInput: SaeTrainSettingsInput, options: SaeTrainOptions = {}): Promise<SaeTrainResult> {
  const { rows: n, cols: d } = X;
  const s = resolveTrainSettings(settingsInput, n, d);
  checkInput(X, d);
  await initBackend();
  const { k, latents: m, kAux, batchSize: B } = s;
  const { signal, onProgress } = options;

  const split = splitRows(n, s.heldOutRows, s.seed, s.split);
  const xTrain = preprocessRows(takeRows(X, split.train), s.preprocessing);
  const xHeld = s.heldOutRows > 0 ? preprocessRows(takeRows(X, split.heldOut), s.preprocessing) : null;
  const nTrain = split.train.length;
  const stepsPerEpoch = Math.ceil(nTrain / B);
  const totalSteps = stepsPerEpoch * s.epochs;

  const init = initTopKSaeWeights(d, m, new Rng(s.seed));
  const params: CpuSaeParams = { d, m, wEncT: transpose(init.wEnc.data, d, m), bEnc: init.bEnc, wDec: init.wDec.data, bDec: init.bDec };
  // W_enc (d x m) refreshed from params.wEncT before each evaluation; the other arrays are shared.
  const weightsView: SaeWeights = init;
  const syncEncoder = () => transpose(params.wEncT, m, d, init.wEnc.data);
  const grads = zeroGrads(d, m);
  const moments = { wEncT: adamMoments(d * m), bEnc: adamMoments(m), wDec: adamMoments(m * d), bDec: adamMoments(d) };
  const adam: AdamConfig = { optimizer: s.optimizer, lr: s.lr, beta1: s.beta1, beta2: s.beta2, eps: s.adamEps, weightDecay: s.weightDecay };

  const shuffleRng = new Rng(s.seed ^ 0x0badcafe);
  const order = Int32Array.from({ length: nTrain }, (_, i) => i);
  const xb = new Float32Array(B * d);
  const select = new TopKRelu(B, m, k);
  const main: SelectedLatents = { stride: k, idx: select.idx, val: select.val, count: select.count };
  const aux: SelectedLatents = { stride: kAux, idx: new Int32Array(B * kAux), val: new Float32Array(B * kAux), count: new Int32Array(B) };
  const scratch = new Float32Array(2 * B * d);
  const sinceFired = new Int32Array(m);
  const deadIdx = new Int32Array(m);
  const deadPre = new Float32Array(m);
  const auxSel = new Int32Array(kAux);
  const auxScratch = new Float32Array(m);
  const curves: SaeCurvePoint[] = [];
  let step = 0;

  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    if (s.shuffle) shuffleRng.shuffle(order);
    let lossSum = 0;
    let auxSum = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      if (signal?.aborted) throw new SaeAbortError(signal.reason);
      const start = b * B;
      const rows = Math.min(B, nTrain - start);
      for (let r = 0; r < rows; r++) xb.set(xTrain.subarray(order[start + r] * d, (order[start + r] + 1) * d), r * d);
      const xbRows = xb.subarray(0, rows * d);

      // Dense pre-activations on the tensor backend, TopK on the CPU.
      const pre = preActivationsFromTransposed(params.wEncT, params.bEnc, xbRows, rows, d);
      select.run(pre, rows);

      // AuxK over latents dead before this step.
      let nDead = 0;
      for (let j = 0; j < m; j++) if (sinceFired[j] >= s.deadSteps) deadIdx[nDead++] = j;
      const useAux = nDead > 0 && s.auxKWeight > 0;
      if (useAux) {
        const ka = Math.min(kAux, nDead);
        for (let r = 0; r < rows; r++) {
          for (let q = 0; q < nDead; q++) deadPre[q] = pre[r * m + deadIdx[q]];
          const c = topKIndices(deadPre, nDead, ka, auxSel, auxScratch);
          let p = r * kAux;
          for (let i = 0; i < c; i++) {
            const v = deadPre[auxSel[i]];
            if (v > 0) {
              aux.idx[p] = deadIdx[auxSel[i]];
              aux.val[p] = v;
              p++;
            }
          }
          aux.count[r] = p - r * kAux;
        }
      }
      // Firing statistics.
      for (let j = 0; j < m; j++) sinceFired[j]++;
      for (let r = 0; r < rows; r++) for (let q = r * k; q < r * k + select.count[r]; q++) sinceFired[select.idx[q]] = 0;

      const { loss, auxLoss } = sparseTopKGradients(params, xbRows, rows, main, useAux ? aux : null, s.auxKWeight, grads, scratch);
      step++;
      adamStep(params.wEncT, grads.wEncT, moments.wEncT, step, adam);
      adamStep(params.bEnc, grads.bEnc, moments.bEnc, step, adam);
      adamStep(params.wDec, grads.wDec, moments.wDec, step, adam);
      adamStep(params.bDec, grads.bDec, moments.bDec, step, adam);
      lossSum += loss * rows;
      auxSum += auxLoss * rows;
      onProgress?.({ kind: 'step', epoch, epochs: s.epochs, step, totalSteps, batchLoss: loss });
      await yieldToEventLoop();
    }
    let deadNow = 0;
    for (let j = 0; j < m; j++) if (sinceFired[j] >= s.deadSteps) deadNow++;
    if (xHeld) syncEncoder();
    const held = xHeld ? await evaluatePreprocessed(weightsView, k, xHeld, s.heldOutRows, { batchSize: options.evalBatchSize, signal }) : null;
    const point: SaeCurvePoint = {
      epoch,
      loss: lossSum / nTrain,
      auxLoss: auxSum / nTrain,
      heldOutFvu: held ? held.fvu : null,
      heldOutMeanL0: held ? held.meanL0 : null,
      heldOutDeadShare: held ? held.deadShare : null,
      trainDeadShare: deadNow / m,
    };
    curves.push(point);
    onProgress?.({ kind: 'epoch', epoch, epochs: s.epochs, step, totalSteps, curve: point });
  }

  syncEncoder();
  const final = xHeld
    ? { ...(await evaluatePreprocessed(weightsView, k, xHeld, s.heldOutRows, { batchSize: options.evalBatchSize, signal })), evaluatedOn: 'heldOut' as const }
    : { ...(await evaluatePreprocessed(weightsView, k, xTrain, nTrain, { batchSize: options.evalBatchSize, signal })), evaluatedOn: 'train' as const };
  const sae: TopKSae = {
    inputDim: d,
    latentDim: m,
    k,
    preprocessing: s.preprocessing,
    weights: weightsView,
    metadata: {
      training: JSON.stringify(s),
      metrics: JSON.stringify(final),
      backend: tf.getBackend(),
    },
  };
  return { sae, settings: s, curves, metrics: final, trainIndices: split.train, heldOutIndices: split.heldOut };
}
