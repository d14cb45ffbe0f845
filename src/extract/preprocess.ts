/**
 * Image preprocessing before a network, as torchvision's tensor transforms do it on float images:
 * uint8 RGB -> [0, 1], Resize(resize) with bilinear interpolation and antialiasing (the shorter side to `resize`,
 * the longer one in proportion, truncated), CenterCrop(crop) (top = round((h - crop) / 2), halves to even), then
 * Normalize(mean, std) per channel. The only difference from the authors' PIL pipeline (Resize(256),
 * CenterCrop(224), ImageNet mean and std) is that PIL rounds the resized image to uint8.
 */

export interface ImagePreprocessing {
  /** Shorter side after resizing (null: no resizing). */
  resize: number | null;
  /** Side of the centre square kept (null: the whole resized image). */
  crop: number | null;
  mean: readonly number[];
  std: readonly number[];
}

/** torchvision's Resize(int) output size for an h x w image. */
export function resizedSize(h: number, w: number, resize: number | null): [number, number] {
  if (resize === null) return [h, w];
  if (w <= h) return [Math.trunc((resize * h) / w), resize];
  return [resize, Math.trunc((resize * w) / h)];
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Size of the network's input for h x w images: the crop, or the resized image. */
export function inputSize(h: number, w: number, p: Pick<ImagePreprocessing, 'resize' | 'crop'>): [number, number] {
  const [rh, rw] = resizedSize(h, w, p.resize);
  return p.crop === null ? [rh, rw] : [p.crop, p.crop];
}

/** Antialiased bilinear weights of output positions [from, from + count) of an inSize -> outSize resampling. */
interface Taps {
  start: Int32Array;
  size: Int32Array;
  width: number;
  weights: Float64Array;
}

function resampleTaps(inSize: number, outSize: number, from: number, count: number): Taps {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const width = Math.ceil(support) * 2 + 1;
  const taps: Taps = {
    start: new Int32Array(count),
    size: new Int32Array(count),
    width,
    weights: new Float64Array(count * width),
  };
  for (let o = 0; o < count; o++) {
    const centre = scale * (from + o + 0.5);
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j - centre + 0.5) * invScale));
      taps.weights[o * width + j - lo] = w;
      total += w;
    }
    for (let j = lo; j < hi; j++) taps.weights[o * width + j - lo] /= total || 1;
    taps.start[o] = lo;
    taps.size[o] = hi - lo;
  }
  return taps;
}

/** One channel of an HWC uint8 image resampled through `rows` and `cols` taps into `out` (scaled, shifted). */
function resampleChannel(
  img: Uint8Array,
  w: number,
  c: number,
  rows: Taps,
  cols: Taps,
  tmp: Float64Array,
  out: Float32Array,
  outAt: number,
  norm: { mean: number; std: number },
): void {
  const oh = rows.start.length;
  const ow = cols.start.length;
  const h = tmp.length / ow;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      const base = (y * w + cols.start[x]) * 3 + c;
      for (let k = 0; k < cols.size[x]; k++) s += cols.weights[x * cols.width + k] * img[base + k * 3];
      tmp[y * ow + x] = s / 255;
    }
  }
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < rows.size[y]; k++) s += rows.weights[y * rows.width + k] * tmp[(rows.start[y] + k) * ow + x];
      out[outAt + y * ow + x] = (s - norm.mean) / norm.std;
    }
  }
}

/**
 * `n` HWC uint8 RGB images of h x w (one after another) into the network's NCHW float32 input. Without resizing
 * the taps are the identity, so one path serves both.
 */
export function preprocessImages(images: Uint8Array, n: number, h: number, w: number, p: ImagePreprocessing) {
  const [rh, rw] = resizedSize(h, w, p.resize);
  const [oh, ow] = inputSize(h, w, p);
  const top = p.crop === null ? 0 : roundHalfEven((rh - p.crop) / 2);
  const left = p.crop === null ? 0 : roundHalfEven((rw - p.crop) / 2);
  const rows = resampleTaps(h, rh, top, oh);
  const cols = resampleTaps(w, rw, left, ow);
  const out = new Float32Array(n * 3 * oh * ow);
  const tmp = new Float64Array(h * ow);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * h * w * 3, (i + 1) * h * w * 3);
    for (let c = 0; c < 3; c++) {
      const norm = { mean: p.mean[c], std: p.std[c] };
      resampleChannel(img, w, c, rows, cols, tmp, out, (i * 3 + c) * oh * ow, norm);
    }
  }
  return { data: out, dims: [n, 3, oh, ow] as const };
}
