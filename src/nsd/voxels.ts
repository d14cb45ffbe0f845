/** Voxel index helpers. Flat index within one volume (X, Y, Z), x fastest: i = x + X*(y + Y*z). */

export type VolumeShape = [number, number, number];

/** Sorted flat indices of the nonzero entries of a mask volume. */
export function maskToIndices(mask: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}

/** (x, y, z) triplets for flat indices: Int32Array of length 3n, [x0, y0, z0, x1, ...]. */
export function indicesToCoords(indices: Int32Array, shape: VolumeShape): Int32Array {
  const [X, Y] = shape;
  const out = new Int32Array(indices.length * 3);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out[3 * k] = i % X;
    out[3 * k + 1] = Math.floor(i / X) % Y;
    out[3 * k + 2] = Math.floor(i / (X * Y));
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
