/**
 * ROI label volumes of the synthetic NSD: a border of -1 (outside cortex), prf-visualrois labels 1..7 in slabs
 * along y, nsdgeneral, optional floc-faces and streams atlases, per-hemisphere copies; all inside an optional box.
 */
import type { Rng } from '../compute/random';
import { DataValidationError } from '../errors';
import type { VolumeShape } from './voxels';

export const PRF_LABELS = 7;

/**
 * Where labels go: a box (origin, size) and, per atlas, the frame its slabs divide. Without a ROI box the
 * labels span the cortex (prf slabs over y = 1..Y-2, floc-faces over x = 0..X-1, streams over z = 0..Z-1).
 */
export interface LabelFrame {
  inBox: (x: number, y: number, z: number) => boolean;
  prfY: [number, number];
  facesX: [number, number];
  facesZ0: number;
  streamsZ: [number, number];
}

export function labelFrame(shape: VolumeShape, box?: VolumeShape): LabelFrame {
  const [X, Y, Z] = shape;
  if (!box) return { inBox: () => true, prfY: [1, Math.max(1, Y - 2)], facesX: [0, X], facesZ0: 0, streamsZ: [0, Z] };
  if (box.some((b, d) => !(Number.isInteger(b) && b >= 1 && b <= shape[d] - 2)))
    throw new DataValidationError(
      'roiBox',
      `each side must be an integer in 1..volume side - 2 (box ${box.join('x')}, volume ${shape.join('x')})`,
    );
  const o = box.map((b, d) => Math.floor((shape[d] - b) / 2)) as VolumeShape;
  return {
    inBox: (x, y, z) =>
      x >= o[0] && x < o[0] + box[0] && y >= o[1] && y < o[1] + box[1] && z >= o[2] && z < o[2] + box[2],
    prfY: [o[1], box[1]],
    facesX: [o[0], box[0]],
    facesZ0: o[2],
    streamsZ: [o[2], box[2]],
  };
}

/** ROI label volumes: a border of -1 (outside cortex), labels 1..7 in slabs along y, some 0 holes. */
export function makeRoiVolumes(
  shape: VolumeShape,
  frame: LabelFrame,
  rng: Rng,
): { prf: Int32Array; general: Int32Array } {
  const [X, Y, Z] = shape;
  const prf = new Int32Array(X * Y * Z);
  const general = new Int32Array(X * Y * Z);
  const [y0, ny] = frame.prfY;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const i = x + X * (y + Y * z);
        const border = x === 0 || x === X - 1 || y === 0 || y === Y - 1 || z === 0;
        if (border) {
          prf[i] = -1;
          general[i] = -1;
          continue;
        }
        const label = frame.inBox(x, y, z) ? 1 + Math.min(PRF_LABELS - 1, Math.floor(((y - y0) * PRF_LABELS) / ny)) : 0;
        prf[i] = rng.uniform() < 0.15 ? 0 : label;
        general[i] = prf[i] > 0 || rng.uniform() < 0.3 ? 1 : 0;
      }
  return { prf, general };
}

/** floc-faces (labels 1..5, slabs along x, every other z plane) and streams (1..7, slabs along z) over the cortex of `prf`. */
export function extraAtlasVolumes(
  prf: Int32Array,
  shape: VolumeShape,
  frame: LabelFrame,
): { faces: Int32Array; streams: Int32Array } {
  const [X, Y, Z] = shape;
  const faces = new Int32Array(prf.length);
  const streams = new Int32Array(prf.length);
  const [x0, nx] = frame.facesX;
  const [z0, nz] = frame.streamsZ;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const i = x + X * (y + Y * z);
        if (prf[i] < 0) {
          faces[i] = -1;
          streams[i] = -1;
          continue;
        }
        if (!frame.inBox(x, y, z)) continue; // unlabelled cortex: 0
        faces[i] = (z - frame.facesZ0) % 2 === 0 ? 1 + Math.min(4, Math.floor(((x - x0) * 5) / nx)) : 0;
        streams[i] = 1 + Math.min(6, Math.floor(((z - z0) * 7) / nz));
      }
  return { faces, streams };
}

export function hemiVolume(vol: Int32Array, shape: VolumeShape, hemi: 'lh' | 'rh'): Int32Array {
  const [X] = shape;
  const half = Math.floor(X / 2);
  return vol.map((v, i) => (i % X < half === (hemi === 'lh') ? v : v > 0 ? 0 : v));
}
