/**
 * Fast path for NSD-style HDF5 betas: uncompressed int16 chunks of one voxel's whole time series
 * (chunk shape (T, 1, 1, 1)) read straight from the file at the addresses in the file's chunk B-tree,
 * after checking sampled chunks against h5wasm reads. Returns null whenever the layout is anything else,
 * so the caller falls back to h5wasm.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readChunkIndex, type ChunkIndex } from '../io/hdf5-chunk-index';
import { readH5Slab, type OpenH5Dataset } from '../io/hdf5';

const cache = new Map<string, { key: string; index: ChunkIndex | null }>();
const CACHE_SIZE = 4;

/** Chunk index of a file, cached by path + size + mtime (a few entries; each is 8 bytes per chunk). */
function cachedChunkIndex(file: string, dataset: string): ChunkIndex | null {
  const st = statSync(file);
  const key = `${dataset}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(file);
  if (hit && hit.key === key) return hit.index;
  const index = readChunkIndex(file, dataset);
  cache.set(file, { key, index });
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return index;
}

/** Whether the layout is one the direct reader handles for `voxelIndices`. */
function usable(ci: ChunkIndex | null, h: OpenH5Dataset, voxelIndices: Int32Array): ci is ChunkIndex {
  if (!ci?.littleEndianSigned || ci.elementSize !== 2) return false;
  const [T, Z, Y, X] = h.info.shape;
  if (ci.shape.length !== 4 || ci.shape[0] !== T || ci.shape[1] !== Z || ci.shape[2] !== Y || ci.shape[3] !== X)
    return false;
  if (ci.chunk[0] !== T || ci.chunk[1] !== 1 || ci.chunk[2] !== 1 || ci.chunk[3] !== 1) return false;
  for (let k = 0; k < voxelIndices.length; k++) if (!(ci.addresses[voxelIndices[k]] >= 0)) return false;
  return true;
}

function decodeInto(buf: Buffer, off: number, T: number, V: number, j: number, inv: number, out: Float32Array): void {
  for (let t = 0; t < T; t++) {
    const o = off + 2 * t;
    out[t * V + j] = (((buf[o] | (buf[o + 1] << 8)) << 16) >> 16) * inv;
  }
}

/**
 * Read (T x V) betas / scale for sorted flat `voxelIndices` directly from the file, or return null when the
 * layout does not qualify or a sampled chunk disagrees with h5wasm.
 */
export function readBetasDirect(
  file: string,
  h: OpenH5Dataset,
  datasetName: string,
  voxelIndices: Int32Array,
  scale: number,
  field: string,
): Float32Array | null {
  const ci = cachedChunkIndex(file, datasetName);
  if (!usable(ci, h, voxelIndices)) return null;
  const [T, , Y, X] = h.info.shape;
  const V = voxelIndices.length;
  const B = 2 * T;
  const fd = openSync(file, 'r');
  try {
    // Verify: up to 16 selected chunks spread over the selection must equal h5wasm's reads byte for byte.
    const probe = Buffer.allocUnsafe(B);
    const samples = Math.min(V, 16);
    for (let s = 0; s < samples; s++) {
      const v = voxelIndices[Math.floor((s * (V - 1)) / Math.max(1, samples - 1))];
      const x = v % X,
        y = Math.floor(v / X) % Y,
        z = Math.floor(v / (X * Y));
      const ref = readH5Slab(
        h,
        [
          [0, T],
          [z, z + 1],
          [y, y + 1],
          [x, x + 1],
        ],
        field,
      );
      if (readSync(fd, probe, 0, B, ci.addresses[v]) !== B) return null;
      for (let t = 0; t < T; t++) if (probe.readInt16LE(2 * t) !== ref[t]) return null;
    }
    // Read in address order, coalescing chunks whose gaps are small.
    const order = Int32Array.from({ length: V }, (_, j) => j).sort(
      (a, b) => ci.addresses[voxelIndices[a]] - ci.addresses[voxelIndices[b]],
    );
    const out = new Float32Array(T * V);
    const inv = 1 / scale;
    const GAP = 16 * 1024;
    const MAX_RUN = 4 << 20;
    let buf = Buffer.allocUnsafe(MAX_RUN + B);
    let i = 0;
    while (i < V) {
      const start = ci.addresses[voxelIndices[order[i]]];
      let end = start + B;
      let k = i + 1;
      while (k < V) {
        const a = ci.addresses[voxelIndices[order[k]]];
        if (a - end > GAP || a + B - start > MAX_RUN) break;
        end = Math.max(end, a + B);
        k++;
      }
      const len = end - start;
      if (len > buf.length) buf = Buffer.allocUnsafe(len);
      if (readSync(fd, buf, 0, len, start) !== len) return null;
      for (let m = i; m < k; m++) {
        const j = order[m];
        decodeInto(buf, ci.addresses[voxelIndices[j]] - start, T, V, j, inv, out);
      }
      i = k;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
