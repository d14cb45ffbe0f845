/**
 * Noise ceiling from ncsnr (NSD): percent of explainable variance for the average of n trials,
 * NC = 100 * ncsnr^2 / (ncsnr^2 + 1/n); with mixed repetition counts 1/n becomes mean over images of 1/n_i,
 * i.e. (A/1 + B/2 + C/3) / (A + B + C).
 */
import { DataValidationError } from '../errors';

/** Mean of 1/n over the evaluated images' repetition counts (all must be >= 1). */
export function meanInverseRepetitions(repetitions: ArrayLike<number>): number {
  if (repetitions.length === 0) throw new DataValidationError('repetitions', 'no images to evaluate');
  let s = 0;
  for (let i = 0; i < repetitions.length; i++) {
    const n = repetitions[i];
    if (!(n >= 1)) throw new DataValidationError('repetitions', `image ${i} has repetition count ${n}`);
    s += 1 / n;
  }
  return s / repetitions.length;
}

/**
 * Per-voxel noise ceiling in percent for the images with the given repetition counts.
 * Non-finite ncsnr gives NaN.
 */
export function noiseCeiling(ncsnr: ArrayLike<number>, repetitions: ArrayLike<number>): Float32Array {
  const k = meanInverseRepetitions(repetitions);
  const out = new Float32Array(ncsnr.length);
  for (let i = 0; i < ncsnr.length; i++) {
    const s2 = ncsnr[i] * ncsnr[i];
    out[i] = (100 * s2) / (s2 + k);
  }
  return out;
}
