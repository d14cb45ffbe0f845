import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readNsdBetasSession, readBetasFileShape } from '../../src/nsd/betas-session';
import { zscoreColumnsInPlace } from '../../src/nsd/zscore';
import { DataValidationError } from '../../src/errors';
import { BETAS_DIR, TREE, maxRelDiff, npy, cleanupTempDirs, makeTempDir } from './nsd-fixture';

const sel = npy('expected_sel_indices.npy').data as Int32Array;
const h5 = (s: number) => path.join(BETAS_DIR, `betas_session0${s}.hdf5`);
const nii = (s: number) => path.join(BETAS_DIR, `betas_session0${s}.nii.gz`);

afterAll(cleanupTempDirs);

describe('readNsdBetasSession', () => {
  it('reads the (X, Y, Z) shape from both formats', async () => {
    expect((await readBetasFileShape(h5(1), 'hdf5')).volumeShape).toEqual([7, 5, 4]);
    expect((await readBetasFileShape(nii(1), 'nifti')).volumeShape).toEqual([7, 5, 4]);
    expect((await readBetasFileShape(h5(1), 'hdf5')).chunks).toEqual([750, 1, 1, 1]);
  });

  it('HDF5 ROI values equal numpy (stored / 300)', async () => {
    const s = await readNsdBetasSession(h5(1), 'hdf5', sel);
    expect([s.trials, s.voxels]).toEqual([750, sel.length]);
    expect(maxRelDiff(s.data, npy('expected_raw_s1.npy').data as Float32Array)).toBeLessThan(1e-6);
  });

  it('HDF5 read in one-plane slabs gives the same values', async () => {
    const s = await readNsdBetasSession(h5(1), 'hdf5', sel, { maxSlabBytes: 1 });
    expect(maxRelDiff(s.data, npy('expected_raw_s1.npy').data as Float32Array)).toBeLessThan(1e-6);
  });

  it('NIfTI gives the same matrix as HDF5', async () => {
    for (const s of [1, 2]) {
      const a = await readNsdBetasSession(h5(s), 'hdf5', sel);
      const b = await readNsdBetasSession(nii(s), 'nifti', sel);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    }
  });

  it('honours scl_slope / scl_inter', async () => {
    const file = path.join(TREE, 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_scaled/betas_session01.nii.gz');
    const s = await readNsdBetasSession(file, 'nifti', sel);
    expect(maxRelDiff(s.data, npy('expected_scaled_s1.npy').data as Float32Array)).toBeLessThan(1e-6);
  });

  it('z-scores per voxel within a session like numpy (population sd, constant voxel -> 0)', async () => {
    for (const s of [1, 2]) {
      const r = await readNsdBetasSession(h5(s), 'hdf5', sel);
      zscoreColumnsInPlace(r.data, r.trials, r.voxels);
      expect(maxRelDiff(r.data, npy(`expected_z_s${s}.npy`).data as Float32Array)).toBeLessThan(2e-6);
    }
  });

  it('rejects a truncated HDF5 with a typed error naming the field', async () => {
    const dir = makeTempDir('nsd-trunc-');
    const f = path.join(dir, 'betas_session01.hdf5');
    const bytes = readFileSync(h5(1));
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await readNsdBetasSession(f, 'hdf5', sel, { field: 'manifest.betas.hdf5' }).catch((e) => e);
    expect(err).toBeInstanceOf(DataValidationError);
    expect(err.field).toBe('manifest.betas.hdf5');
  });

  it('rejects a truncated NIfTI and a wrong volume shape', async () => {
    const dir = makeTempDir('nsd-trunc-');
    const f = path.join(dir, 'betas_session01.nii.gz');
    const bytes = readFileSync(nii(1));
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const e1 = await readNsdBetasSession(f, 'nifti', sel, { field: 'betas' }).catch((e) => e);
    expect(e1).toBeInstanceOf(DataValidationError);
    const good = path.join(dir, 'ok.hdf5');
    copyFileSync(h5(1), good);
    const e2 = await readNsdBetasSession(good, 'hdf5', sel, { volumeShape: [5, 7, 4], field: 'betas' }).catch((e) => e);
    expect(e2).toBeInstanceOf(DataValidationError);
    expect(e2.reason).toMatch(/7x5x4/);
  });
});
