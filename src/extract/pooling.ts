/**
 * Spatial pooling of a tapped tensor to one vector per image. Layouts by rank: N x C x H x W (convolutional
 * maps, ONNX's channel-first order), N x T x D (transformer tokens, torchvision's ViT: a class token, then the
 * patches row by row), N x D (kept as it is, whatever the pooling).
 *
 * - `centre`: the authors' choice (align-interp, dnn_acts_utils.py / sae.py: `x[:, :, c, c]` with
 *   `c = x.shape[-1] // 2`): the unit at the centre position [H // 2, W // 2] of every channel. For tokens: the
 *   centre patch token (after the class token when T - 1 is a square number, else of a square grid, else T // 2).
 * - `mean`, `max`: over the positions (tokens: over all T, class token included).
 * - `flatten`: every position (C x H x W, or T x D, C order).
 * - `cls`: tokens only, the class token (the first).
 */
export const POOLINGS = ['centre', 'mean', 'max', 'flatten', 'cls'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** Width of the pooled vector, or an error message when the pooling does not fit the shape. */
export function pooledWidth(dims: readonly number[], pooling: Pooling): number | string {
  if (dims.length === 2) return dims[1];
  if (dims.length !== 3 && dims.length !== 4)
    return `has rank ${dims.length} (shape ${dims.join(' x ')}); 2, 3 or 4 are pooled`;
  if (pooling === 'cls' && dims.length !== 3) return `'cls' pools tokens (N x T x D), not shape ${dims.join(' x ')}`;
  if (pooling === 'flatten') return dims.slice(1).reduce((a, b) => a * b, 1);
  return dims.length === 4 ? dims[1] : dims[2];
}

/** Index of the centre patch token among t tokens. */
export function centreToken(t: number): number {
  for (const skip of [1, 0]) {
    const s = Math.round(Math.sqrt(t - skip));
    if (s > 0 && s * s === t - skip) return skip + Math.floor(s / 2) * s + Math.floor(s / 2);
  }
  return Math.floor(t / 2);
}

/** Reduce `positions` strided vectors (mean or max) into out[at..at+units). */
function reduce(
  src: Float32Array,
  base: number,
  units: number,
  positions: number,
  unitStride: number,
  posStride: number,
  how: 'mean' | 'max',
  out: Float32Array,
  at: number,
) {
  for (let u = 0; u < units; u++) {
    const o = base + u * unitStride;
    let acc = how === 'max' ? Number.NEGATIVE_INFINITY : 0;
    for (let p = 0; p < positions; p++) {
      const v = src[o + p * posStride];
      acc = how === 'max' ? (v > acc ? v : acc) : acc + v;
    }
    out[at + u] = how === 'max' ? acc : acc / positions;
  }
}

/** Pool a tensor (row-major, `dims`) into n x width rows, written to `out` from row 0. */
export function poolTensor(
  src: Float32Array,
  dims: readonly number[],
  pooling: Pooling,
): { data: Float32Array; width: number } {
  const width = pooledWidth(dims, pooling);
  if (typeof width === 'string') throw new Error(`cannot pool: tensor ${width}`);
  const n = dims[0];
  const per = src.length / n;
  if (dims.length === 2 || pooling === 'flatten') return { data: src.slice(0, n * width), width };
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const base = i * per;
    if (dims.length === 4) {
      const [, c, h, w] = dims;
      if (pooling === 'centre') {
        const at = Math.floor(h / 2) * w + Math.floor(w / 2);
        for (let u = 0; u < c; u++) out[i * c + u] = src[base + u * h * w + at];
      } else reduce(src, base, c, h * w, h * w, 1, pooling as 'mean' | 'max', out, i * c);
    } else {
      const [, t, d] = dims;
      if (pooling === 'centre' || pooling === 'cls') {
        const tok = pooling === 'cls' ? 0 : centreToken(t);
        out.set(src.subarray(base + tok * d, base + (tok + 1) * d), i * d);
      } else reduce(src, base, d, t, 1, d, pooling as 'mean' | 'max', out, i * d);
    }
  }
  return { data: out, width };
}
