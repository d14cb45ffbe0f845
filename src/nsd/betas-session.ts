/**
 * One session's single-trial betas for selected voxels, from HDF5 (trials, Z, Y, X) or NIfTI (X, Y, Z, trials).
 * Output is (trials x voxels) float32 in percent signal change: (stored * scl_slope + scl_inter) / scale.
 */
import { DataValidationError, throwIfAborted } from '../errors';
import { openH5Dataset, readH5Slab } from '../io/hdf5';
import { readBetasDirect } from './betas-hdf5-direct';
import { niftiDatatype, readNiftiHeader, streamNiftiVolumes } from '../io/nifti';
import type { VolumeShape } from './voxels';
import type { BetasFormat } from './manifest';

export interface SessionBetas {
  trials: number;
  voxels: number;
  /** Which reader produced the values: 'direct' (HDF5 chunks read from the file), 'h5wasm' or 'nifti'. */
  reader: 'direct' | 'h5wasm' | 'nifti';
  /** Row-major (trials x voxels). */
  data: Float32Array;
}

export interface ReadSessionOptions {
  /** Stored value = percent signal change x scale (NSD: 300). */
  scale?: number;
  /** HDF5 dataset name (default "/betas"). */
  dataset?: string;
  /** Expected volume shape (X, Y, Z); a mismatch raises DataValidationError. */
  volumeShape?: VolumeShape;
  /** Expected trial count; a mismatch raises DataValidationError. */
  trials?: number;
  /** Upper bound on one HDF5 slab read, bytes (default 32 MiB): keeps the wasm heap small. */
  maxSlabBytes?: number;
  signal?: AbortSignal;
  /**
   * HDF5 reader: 'auto' (default) reads NSD-style chunks straight from the file when the chunk index
   * parses and sampled chunks agree with h5wasm, else h5wasm; 'h5wasm' always uses h5wasm.
   */
  hdf5Reader?: 'auto' | 'h5wasm';
  /** Field named in errors (e.g. "manifest.betas.hdf5"). */
  field?: string;
}

/** Shape of a betas file as (X, Y, Z) plus its trial count, read from the header only. */
export async function readBetasFileShape(
  file: string,
  format: BetasFormat,
  opts: { dataset?: string; field?: string } = {},
): Promise<{ volumeShape: VolumeShape; trials: number; dtype: string; chunks: number[] | null }> {
  const field = opts.field ?? 'file';
  if (format === 'hdf5') {
    const h = await openH5Dataset(file, opts.dataset ?? '/betas', field);
    try {
      const s = h.info.shape;
      if (s.length !== 4)
        throw new DataValidationError(field, `HDF5 betas must be 4-D (trials, Z, Y, X), got shape [${s}]`);
      return { volumeShape: [s[3], s[2], s[1]], trials: s[0], dtype: h.info.dtype, chunks: h.info.chunks };
    } finally {
      h.close();
    }
  }
  const info = await readNiftiHeader(file, field);
  if (info.shape.length !== 4)
    throw new DataValidationError(field, `NIfTI betas must be 4-D (X, Y, Z, trials), got shape [${info.shape}]`);
  const dtype = niftiDatatype(info.datatypeCode, field).name;
  return { volumeShape: [info.shape[0], info.shape[1], info.shape[2]], trials: info.shape[3], dtype, chunks: null };
}

function checkShape(field: string, got: VolumeShape, trials: number, opts: ReadSessionOptions): void {
  if (opts.volumeShape && !opts.volumeShape.every((v, i) => v === got[i])) {
    throw new DataValidationError(field, `betas volume is ${got.join('x')}, expected ${opts.volumeShape.join('x')}`);
  }
  if (opts.trials !== undefined && trials !== opts.trials) {
    throw new DataValidationError(field, `betas file has ${trials} trials, expected ${opts.trials}`);
  }
}

function checkIndices(field: string, voxelIndices: Int32Array, nVox: number): void {
  for (let k = 0; k < voxelIndices.length; k++) {
    const i = voxelIndices[k];
    if (i < 0 || i >= nVox || (k > 0 && i <= voxelIndices[k - 1])) {
      throw new DataValidationError(field, 'voxel indices must be sorted, unique and inside the volume');
    }
  }
}

/**
 * Read one session file's betas at `voxelIndices` (sorted flat indices, x fastest) into a
 * (trials x voxels) float32 matrix in percent signal change. HDF5 is read in z-slabs over all trials
 * (only planes holding selected voxels); NIfTI is streamed one volume at a time.
 * @throws DataValidationError for wrong shape/dtype, truncated or unreadable files.
 */
export async function readNsdBetasSession(
  file: string,
  format: BetasFormat,
  voxelIndices: Int32Array,
  opts: ReadSessionOptions = {},
): Promise<SessionBetas> {
  return format === 'hdf5' ? readHdf5Session(file, voxelIndices, opts) : readNiftiSession(file, voxelIndices, opts);
}

async function readHdf5Session(
  file: string,
  voxelIndices: Int32Array,
  opts: ReadSessionOptions,
): Promise<SessionBetas> {
  const field = opts.field ?? 'file';
  const scale = opts.scale ?? 300;
  const h = await openH5Dataset(file, opts.dataset ?? '/betas', field);
  try {
    const s = h.info.shape;
    if (s.length !== 4)
      throw new DataValidationError(field, `HDF5 betas must be 4-D (trials, Z, Y, X), got shape [${s}]`);
    const [T, Z, Y, X] = s;
    checkShape(field, [X, Y, Z], T, opts);
    checkIndices(field, voxelIndices, X * Y * Z);
    const V = voxelIndices.length;
    if (opts.hdf5Reader !== 'h5wasm' && V > 0) {
      const direct = readBetasDirect(file, h, opts.dataset ?? '/betas', voxelIndices, scale, field);
      if (direct) return { trials: T, voxels: V, reader: 'direct', data: direct };
    }
    const out = new Float32Array(T * V);
    const plane = X * Y;
    const planesPerSlab = Math.max(1, Math.floor((opts.maxSlabBytes ?? 32 << 20) / (T * plane * 2)));
    let k = 0;
    while (k < V) {
      throwIfAborted(opts.signal);
      // Slab: from the first pending voxel's plane, up to planesPerSlab planes, cropped in y and x to the
      // selected voxels' bounding box so that h5wasm touches fewer chunks.
      const z0 = Math.floor(voxelIndices[k] / plane);
      const z1 = Math.min(Z, z0 + planesPerSlab);
      let kEnd = k;
      let y0 = Y,
        y1 = 0,
        x0 = X,
        x1 = 0;
      while (kEnd < V && voxelIndices[kEnd] < z1 * plane) {
        const r = voxelIndices[kEnd] % plane;
        const y = Math.floor(r / X),
          x = r % X;
        if (y < y0) y0 = y;
        if (y >= y1) y1 = y + 1;
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        kEnd++;
      }
      const slab = readH5Slab(
        h,
        [
          [0, T],
          [z0, z1],
          [y0, y1],
          [x0, x1],
        ],
        field,
      );
      const ny = y1 - y0,
        nx = x1 - x0;
      const slabN = (z1 - z0) * ny * nx;
      // Offset of each selected voxel inside one trial of the slab.
      const local = new Int32Array(kEnd - k);
      for (let j = k; j < kEnd; j++) {
        const v = voxelIndices[j];
        const z = Math.floor(v / plane),
          r = v % plane;
        local[j - k] = ((z - z0) * ny + (Math.floor(r / X) - y0)) * nx + (r % X) - x0;
      }
      for (let t = 0; t < T; t++) {
        const so = t * slabN;
        const oo = t * V + k;
        for (let j = 0; j < local.length; j++) out[oo + j] = slab[so + local[j]] / scale;
      }
      k = kEnd;
    }
    return { trials: T, voxels: V, reader: 'h5wasm', data: out };
  } finally {
    h.close();
  }
}

async function readNiftiSession(
  file: string,
  voxelIndices: Int32Array,
  opts: ReadSessionOptions,
): Promise<SessionBetas> {
  const field = opts.field ?? 'file';
  const scale = opts.scale ?? 300;
  const info = await readNiftiHeader(file, field);
  if (info.shape.length !== 4)
    throw new DataValidationError(field, `NIfTI betas must be 4-D (X, Y, Z, trials), got shape [${info.shape}]`);
  const [X, Y, Z, T] = info.shape;
  checkShape(field, [X, Y, Z], T, opts);
  checkIndices(field, voxelIndices, X * Y * Z);
  const V = voxelIndices.length;
  const out = new Float32Array(T * V);
  const slope = info.sclSlope / scale;
  const inter = info.sclInter / scale;
  const le = info.littleEndian;
  const bpv = info.bytesPerVoxel;
  const get = niftiDatatype(info.datatypeCode, field).get;
  await streamNiftiVolumes(
    file,
    info,
    (t, bytes) => {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const o = t * V;
      for (let j = 0; j < V; j++) out[o + j] = get(v, voxelIndices[j] * bpv, le) * slope + inter;
    },
    opts.signal,
    field,
  );
  return { trials: T, voxels: V, reader: 'nifti', data: out };
}
