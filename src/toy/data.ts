/**
 * Synthetic sparse features of the toy model of superposition (science.md "Toy model of superposition"):
 * each of F features is active with probability p, with value U[0, 1] when active, else 0.
 */
import type { Rng } from '../compute/random';

/** Feature importance (1 + 2i/F)^-2 for i = 0..F-1 (F = 64: 1, 1/(1 + 2/64)^2, ...). */
export function featureImportance(nFeatures: number): Float32Array {
  const out = new Float32Array(nFeatures);
  for (let i = 0; i < nFeatures; i++) out[i] = 1 / (1 + (2 * i) / nFeatures) ** 2;
  return out;
}

/**
 * `rows` x `nFeatures` sparse feature values (row-major float32), drawn from `rng` in a fixed order:
 * per entry one uniform decides activity, and an active entry draws its value next.
 */
export function sampleFeatures(rng: Rng, rows: number, nFeatures: number, prob: number): Float32Array {
  const out = new Float32Array(rows * nFeatures);
  for (let e = 0; e < out.length; e++) if (rng.uniform() < prob) out[e] = rng.uniform();
  return out;
}
