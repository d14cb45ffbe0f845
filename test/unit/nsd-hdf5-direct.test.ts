import { afterAll, describe, expect, it } from 'vitest';

import path from 'node:path';
import { readChunkIndex } from '../../src/io/hdf5-chunk-index';
import { readNsdBetasSession } from '../../src/nsd/betas-session';
import { writeSyntheticNsd } from '../../src/nsd/synthetic';
import { BETAS_DIR, TREE, maxRelDiff, npy, cleanupTempDirs, makeTempDir } from './nsd-fixture';

const sel = npy('expected_sel_indices.npy').data as Int32Array;
const h5 = path.join(BETAS_DIR, 'betas_session01.hdf5');

afterAll(cleanupTempDirs);

describe('direct HDF5 chunk reader', () => {
  it('finds the chunk addresses HDF5 itself reports (h5py get_chunk_info)', () => {
    const ci = readChunkIndex(h5, '/betas')!;
    expect(ci).not.toBeNull();
    expect(ci.shape).toEqual([750, 4, 5, 7]);
    expect(ci.chunk).toEqual([750, 1, 1, 1]);
    expect([ci.elementSize, ci.littleEndianSigned]).toEqual([2, true]);
    expect(Array.from(ci.addresses)).toEqual(Array.from(npy('expected_chunk_addresses_s1.npy').data as Float64Array));
  });

  it('reads the session directly with values equal to numpy and to h5wasm', async () => {
    const d = await readNsdBetasSession(h5, 'hdf5', sel);
    expect(d.reader).toBe('direct');
    expect(maxRelDiff(d.data, npy('expected_raw_s1.npy').data as Float32Array)).toBeLessThan(1e-6);
    const w = await readNsdBetasSession(h5, 'hdf5', sel, { hdf5Reader: 'h5wasm' });
    expect(w.reader).toBe('h5wasm');
    expect(Array.from(d.data)).toEqual(Array.from(w.data));
  });

  it('falls back to h5wasm for compressed chunks, with the same values', async () => {
    const gz = path.join(TREE, 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_gzip/betas_session01.hdf5');
    expect(readChunkIndex(gz, '/betas')).toBeNull();
    const r = await readNsdBetasSession(gz, 'hdf5', sel);
    expect(r.reader).toBe('h5wasm');
    expect(maxRelDiff(r.data, npy('expected_raw_s1.npy').data as Float32Array)).toBeLessThan(1e-6);
  });

  it('gives the same values as h5wasm on files written by h5wasm', async () => {
    const dir = makeTempDir('nsd-direct-');
    const r = await writeSyntheticNsd(dir, { sessions: 1, formats: ['hdf5'], volumeShape: [6, 5, 4], images: 400 });
    const file = r.files.find((f) => f.endsWith('.hdf5'))!;
    const all = Int32Array.from({ length: 120 }, (_, i) => i);
    const a = await readNsdBetasSession(file, 'hdf5', all);
    const b = await readNsdBetasSession(file, 'hdf5', all, { hdf5Reader: 'h5wasm' });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
