/**
 * The generative model of the synthetic NSD (no files): sparse non-negative ground-truth features of a pool
 * of images, DNN-like layers that mix them, each subject's trials, voxel weights and betas. Every draw takes
 * the one random stream, so the order of calls fixes the dataset (see writeSyntheticNsd).
 */
import type { Rng } from '../compute/random';
import { DataValidationError } from '../errors';
import { PRF_LABELS } from './synthetic-rois';

/** Images: shared by all subjects, then each subject's own, then a few never shown; distinct random nsdIds. */
export interface ImagePool {
  ids: Int32Array;
  shared: number;
  unique: number;
}

const UNSHOWN_IMAGES = 10;

export function drawImagePool(o: { images: number; sharedImages: number; subjects: number }, rng: Rng): ImagePool {
  const shared = Math.min(o.sharedImages, o.images);
  const unique = o.images - shared;
  const size = shared + o.subjects * unique + UNSHOWN_IMAGES;
  const idSet = new Set<number>();
  while (idSet.size < size) idSet.add(rng.int(73000));
  return { ids: Int32Array.from(idSet), shared, unique };
}

/** Pool indices of the images subject `s` (1-based) sees. */
export function subjectImages(pool: ImagePool, s: number): number[] {
  return [
    ...Array.from({ length: pool.shared }, (_, i) => i),
    ...Array.from({ length: pool.unique }, (_, i) => pool.shared + (s - 1) * pool.unique + i),
  ];
}

/** Ground-truth sparse non-negative features (pool x K). */
export function drawFeatures(poolSize: number, K: number, probability: number, rng: Rng): Float32Array {
  const F = new Float32Array(poolSize * K);
  for (let i = 0; i < F.length; i++) if (rng.uniform() < probability) F[i] = 0.5 + rng.uniform();
  return F;
}

/** ROI feature subsets: label l sees features in a window of K/4 starting at l*K/8 (overlapping subsets). */
export function roiFeatureSubsets(K: number): Record<string, number[]> {
  const roiFeatures: Record<string, number[]> = {};
  for (let l = 1; l <= PRF_LABELS; l++) {
    const w = Math.max(1, Math.floor(K / 4));
    roiFeatures[String(l)] = Array.from({ length: w }, (_, j) => (Math.floor(((l - 1) * K) / 8) + j) % K);
  }
  return roiFeatures;
}

/** A layer of U units: non-negative random mixing M (K x U) and activations ReLU(F M - 0.1), rows in `order`. */
export function drawLayer(
  F: Float32Array,
  K: number,
  U: number,
  order: Int32Array,
  rng: Rng,
): { M: Float32Array; A: Float32Array } {
  const rows = order.length;
  const M = new Float32Array(K * U);
  for (let i = 0; i < M.length; i++) M[i] = rng.uniform() < 0.3 ? rng.uniform() : 0;
  const A = new Float32Array(rows * U);
  for (let r = 0; r < rows; r++) {
    const p = order[r];
    for (let u = 0; u < U; u++) {
      let v = -0.1;
      for (let k = 0; k < K; k++) v += F[p * K + k] * M[k * U + u];
      A[r * U + u] = v > 0 ? v : 0;
    }
  }
  return { M, A };
}

/** Repetition counts: every image once, then second and third repetitions until `trials` are used. */
function repetitionCounts(images: number, trials: number): Uint8Array {
  if (trials < images || trials > 3 * images)
    throw new DataValidationError(
      'images',
      `need images <= sessions x trialsPerSession <= 3 x images (images ${images}, trials ${trials})`,
    );
  const reps = new Uint8Array(images).fill(1);
  let left = trials - images;
  for (let round = 0; round < 2 && left > 0; round++) {
    for (let i = 0; i < images && left > 0; i++, left--) reps[(i * 7919 + round * 31) % images]++;
  }
  return reps;
}

/** A subject's trials: the pool image of each global trial, and per repetition the trial (1-based) of each image. */
export interface SubjectTrials {
  trialImage: Int32Array;
  /** [rep] -> trial per pool image (0 = not shown). */
  repCols: Int32Array[];
}

export function drawSubjectTrials(imgs: number[], trialsTotal: number, poolSize: number, rng: Rng): SubjectTrials {
  const reps = repetitionCounts(imgs.length, trialsTotal);
  const trialImage = new Int32Array(trialsTotal);
  let t = 0;
  imgs.forEach((img, j) => {
    for (let r = 0; r < reps[j]; r++) trialImage[t++] = img;
  });
  rng.shuffle(trialImage);
  const repCols = [new Int32Array(poolSize), new Int32Array(poolSize), new Int32Array(poolSize)];
  const seen = new Uint8Array(poolSize);
  for (let g = 0; g < trialsTotal; g++) repCols[seen[trialImage[g]]++][trialImage[g]] = g + 1; // ascending per image
  return { trialImage, repCols };
}

/** Voxel weights (K x V): ROI voxels weight their label's features; unlabelled cortex weakly all. */
export function drawVoxelWeights(
  prf: Int32Array,
  roiFeatures: Record<string, number[]>,
  K: number,
  rng: Rng,
): Float32Array {
  const V = prf.length;
  const W = new Float32Array(K * V);
  for (let v = 0; v < V; v++) {
    const lab = prf[v];
    if (lab > 0) for (const k of roiFeatures[String(lab)]) W[k * V + v] = rng.normal();
    else if (lab === 0) for (let k = 0; k < K; k++) W[k * V + v] = 0.2 * rng.normal();
  }
  return W;
}

/**
 * The noiseless signal of one image (F row x W), recomputed wherever it is needed instead of held for every
 * image (images x V floats: ~28 GB at NSD size). Float32 accumulation in k order. The returned row is reused.
 */
export function signalOfImages(F: Float32Array, W: Float32Array, K: number, V: number): (p: number) => Float32Array {
  const row = new Float32Array(V);
  return (p) => {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const f = F[p * K + k];
      if (f === 0) continue;
      const wk = W.subarray(k * V, (k + 1) * V);
      for (let v = 0; v < V; v++) row[v] += f * wk[v];
    }
    return row;
  };
}

/** How a subject's stored betas follow from the signal: noise level, gain and per-voxel offset, and the ncsnr. */
export interface BetasModel {
  noiseSd: number;
  gain: number;
  offset: Float32Array;
  ncsnr: Float32Array;
}

/** Per-voxel signal sd over the subject's images (two passes: mean, then squared deviations) -> noise and ncsnr. */
export function betasModel(
  prf: Int32Array,
  imgs: number[],
  signalOf: (p: number) => Float32Array,
  noise: number,
  rng: Rng,
): BetasModel {
  const V = prf.length;
  const mean = new Float64Array(V);
  for (const p of imgs) {
    const r = signalOf(p);
    for (let v = 0; v < V; v++) mean[v] += r[v];
  }
  for (let v = 0; v < V; v++) mean[v] /= imgs.length;
  const sd = new Float64Array(V);
  for (const p of imgs) {
    const r = signalOf(p);
    for (let v = 0; v < V; v++) sd[v] += (r[v] - mean[v]) ** 2;
  }
  for (let v = 0; v < V; v++) sd[v] = Math.sqrt(sd[v] / imgs.length);
  let sdSum = 0,
    cnt = 0;
  for (let v = 0; v < V; v++)
    if (prf[v] >= 0) {
      sdSum += sd[v];
      cnt++;
    }
  const meanSd = sdSum / Math.max(1, cnt) || 1;
  const noiseSd = noise * meanSd;
  const ncsnr = Float32Array.from(sd, (d, v) => (prf[v] >= 0 ? d / noiseSd : 0));
  // Scale so that stored int16 = psc * 300 stays in range: psc sd ~ 1.5.
  const gain = 1.5 / Math.sqrt(meanSd ** 2 + noiseSd ** 2);
  const offset = Float32Array.from({ length: V }, () => rng.normal());
  return { noiseSd, gain, offset, ncsnr };
}

/**
 * One session's stored betas (int16 = psc x 300, [t][z][y][x] == NIfTI x-fastest volume t) into `stored`
 * (T x V), for the session's trial images: gain x (signal + noise) + offset + a session drift; 0 outside the brain.
 */
export function drawSessionBetasInto(
  stored: Int16Array,
  trialImage: Int32Array,
  prf: Int32Array,
  signalOf: (p: number) => Float32Array,
  model: BetasModel,
  rng: Rng,
): void {
  const V = prf.length;
  const drift = rng.normal() * 0.3;
  const brain = inBrainVoxels(prf);
  // one trial's noise, drawn in voxel order: the same values as a normal() per in-brain voxel
  const noise = new Float64Array(brain.length);
  const { gain, noiseSd, offset } = model;
  for (let tt = 0; tt < trialImage.length; tt++) {
    const signal = signalOf(trialImage[tt]);
    const out = stored.subarray(tt * V, (tt + 1) * V);
    rng.fillNormal(noise);
    for (let i = 0; i < brain.length; i++) {
      const v = brain[i];
      const psc = gain * (signal[v] + noiseSd * noise[i]) + offset[v] + drift;
      out[v] = Math.max(-32768, Math.min(32767, Math.round(psc * 300)));
    }
  }
}

/** Indices of the voxels inside the brain (prf >= 0), ascending; outside, the stored betas stay 0. */
function inBrainVoxels(prf: Int32Array): Int32Array {
  let n = 0;
  for (let v = 0; v < prf.length; v++) if (prf[v] >= 0) n++;
  const idx = new Int32Array(n);
  for (let v = 0, i = 0; v < prf.length; v++) if (prf[v] >= 0) idx[i++] = v;
  return idx;
}
