/**
 * Adam and AdamW on CPU float32 arrays (PyTorch semantics), fused into one pass per parameter.
 *   adam:  g <- g + wd p;                 m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
 *   adamw: p <- p (1 - lr wd);           (same moments with the raw g)
 *   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Arithmetic per element in float64, stored as float32.
 */

export interface AdamConfig {
  optimizer: 'adam' | 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface AdamMoments {
  m: Float32Array;
  v: Float32Array;
}

export function adamMoments(size: number): AdamMoments {
  return { m: new Float32Array(size), v: new Float32Array(size) };
}

/** One update of parameter p with gradient g at step t (1-based). */
export function adamStep(p: Float32Array, g: Float32Array, s: AdamMoments, t: number, c: AdamConfig): void {
  const { lr, beta1, beta2, eps, weightDecay } = c;
  const stepSize = lr / (1 - beta1 ** t);
  const l2 = c.optimizer === 'adam' ? weightDecay : 0;
  const shrink = c.optimizer === 'adamw' ? 1 - lr * weightDecay : 1;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** t);
  const { m, v } = s;
  const n = p.length;
  if (l2 === 0 && shrink === 1) {
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + a1 * gi;
      const vi = beta2 * v[i] + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let pi = p[i];
    const gi = g[i] + l2 * pi;
    pi *= shrink;
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}
