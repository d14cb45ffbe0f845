/**
 * Toy model of superposition (science.md): h = ReLU(x W), out = ReLU(h W^T + b), W of F x N,
 * importance-weighted MSE mean_{batch, features} imp_f (x_f - out_f)^2, AdamW. Gradients are written out
 * by hand (a few matrix products per step on the active tfjs backend).
 */
import { tf } from '../compute/backend';
import { Rng } from '../compute/random';
import { AdamW } from './adamw';
import { featureImportance, sampleFeatures } from './data';

export interface ToyModelOptions {
  nFeatures: number;
  nHidden: number;
  featureProb: number;
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Seeds the initialisation and the training data. */
  seed: number;
}

export interface ToyModel {
  nFeatures: number;
  nHidden: number;
  /** F x N, row-major: row i is feature i's direction in hidden space. */
  W: Float32Array;
  /** F output biases. */
  b: Float32Array;
  /** Importance-weighted MSE of the last 100 steps (mean). */
  finalLoss: number;
}

/** Train one toy model; `onStep(step, steps)` is called every 100 steps and at the end. */
export function trainToyModel(o: ToyModelOptions, onStep?: (step: number, steps: number) => void): ToyModel {
  const F = o.nFeatures;
  const N = o.nHidden;
  const rng = new Rng(o.seed);
  // Xavier-normal init (as in the toy-models reference code), zero bias.
  const std = Math.sqrt(2 / (F + N));
  const w0 = new Float32Array(F * N);
  for (let i = 0; i < w0.length; i++) w0[i] = rng.normal() * std;
  const W = tf.variable(tf.tensor2d(w0, [F, N])) as tf.Variable<tf.Rank.R2>;
  const b = tf.variable(tf.zeros([F])) as tf.Variable<tf.Rank.R1>;
  const imp = tf.tensor1d(featureImportance(F));
  const opt = new AdamW([W, b], { lr: o.lr, weightDecay: o.weightDecay });
  const B = o.batchSize;
  let recent = 0;
  let recentCount = 0;
  for (let step = 0; step < o.steps; step++) {
    const xData = sampleFeatures(rng, B, F, o.featureProb);
    const lossT = tf.tidy(() => {
      const g = toyModelGradients(tf.tensor2d(xData, [B, F]), W, b, imp);
      opt.step([g.dW, g.db]);
      return tf.keep(g.loss);
    });
    if (step >= o.steps - 100) {
      recent += lossT.dataSync()[0];
      recentCount++;
    }
    lossT.dispose();
    if (onStep && ((step + 1) % 100 === 0 || step + 1 === o.steps)) onStep(step + 1, o.steps);
  }
  const result: ToyModel = {
    nFeatures: F,
    nHidden: N,
    W: W.dataSync() as Float32Array,
    b: b.dataSync() as Float32Array,
    finalLoss: recentCount ? recent / recentCount : NaN,
  };
  opt.dispose();
  W.dispose();
  b.dispose();
  imp.dispose();
  return result;
}

/**
 * Importance-weighted MSE mean_{rows, features} imp_f (x - ReLU(ReLU(x W) W^T + b))^2 and its gradients with
 * respect to W (both uses: encoder and tied decoder) and b. Call inside tf.tidy.
 */
export function toyModelGradients(
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  imp: tf.Tensor1D,
): { loss: tf.Scalar; dW: tf.Tensor2D; db: tf.Tensor1D } {
  const [B, F] = x.shape;
  const hPre = tf.matMul(x, W);
  const h = tf.relu(hPre);
  const oPre = tf.add(tf.matMul(h, W, false, true), b);
  const out = tf.relu(oPre);
  const diff = tf.sub(out, x);
  const loss = tf.mean(tf.mul(tf.square(diff), imp)) as tf.Scalar;
  const dOut = tf.mul(tf.mul(diff, imp), 2 / (B * F));
  const dOPre = tf.mul(dOut, tf.step(oPre, 0));
  const db = tf.sum(dOPre, 0) as tf.Tensor1D;
  const dWdec = tf.matMul(dOPre, h, true, false); // F x N
  const dH = tf.matMul(dOPre, W); // B x N
  const dHPre = tf.mul(dH, tf.step(hPre, 0));
  const dWenc = tf.matMul(x, dHPre, true, false); // F x N
  return { loss, dW: tf.add(dWdec, dWenc) as tf.Tensor2D, db };
}

/** Hidden activations h = ReLU(x W) (rows x N, float32) of a trained toy model, in plain loops. */
export function hiddenActivations(model: ToyModel, x: Float32Array, rows: number): Float32Array {
  const F = model.nFeatures;
  const N = model.nHidden;
  const h = new Float32Array(rows * N);
  for (let r = 0; r < rows; r++) {
    const xo = r * F;
    const ho = r * N;
    for (let f = 0; f < F; f++) {
      const v = x[xo + f];
      if (v === 0) continue;
      const wo = f * N;
      for (let j = 0; j < N; j++) h[ho + j] += v * model.W[wo + j];
    }
    for (let j = 0; j < N; j++) if (h[ho + j] < 0) h[ho + j] = 0;
  }
  return h;
}
