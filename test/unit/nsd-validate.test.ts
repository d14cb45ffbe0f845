import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { validateDataset } from '../../src/nsd/validate';
import { resolveDataPath } from '../../src/nsd/paths';
import { DataValidationError } from '../../src/errors';
import { FIXTURE_DIR, TREE, expectedJson, fixtureManifest, cleanupTempDirs, makeTempDir } from './nsd-fixture';

const exp = expectedJson();
const BETAS_REL = 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR';

function copyTree(): string {
  const dir = makeTempDir('nsd-val-');
  cpSync(TREE, path.join(dir, 'tree'), { recursive: true });
  return dir;
}

async function fieldOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(DataValidationError);
  return (e as DataValidationError).field;
}

afterAll(cleanupTempDirs);

describe('validateDataset', () => {
  it('summarises subjects, sessions, images and ROI voxel counts per label and hemisphere', async () => {
    const s = await validateDataset(fixtureManifest(), TREE, [FIXTURE_DIR]);
    expect(s.subjects.length).toBe(1);
    const sub = s.subjects[0];
    expect(sub.volumeShape).toEqual([7, 5, 4]);
    expect(sub.sessions).toEqual({ hdf5: [1, 2], nifti: [1, 2] });
    expect(sub.trials).toBe(1500);
    expect(sub.images).toBe(891);
    const prf = sub.atlases.find((a) => a.name === 'prf-visualrois')!;
    expect(prf.rois.map((r) => r.name)).toEqual(['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4']);
    for (const r of prf.rois) {
      expect(r.voxels).toEqual({
        both: exp['prf-visualrois'].both[r.value],
        lh: exp['prf-visualrois'].lh[r.value],
        rh: exp['prf-visualrois'].rh[r.value],
      });
    }
    const gen = sub.atlases.find((a) => a.name === 'nsdgeneral')!;
    expect(gen.rois[0].voxels).toEqual({
      both: exp.nsdgeneral.both['1'],
      lh: exp.nsdgeneral.lh['1'],
      rh: exp.nsdgeneral.rh['1'],
    });
  });

  it('detects a truncated HDF5 session', async () => {
    const dir = copyTree();
    const f = path.join(dir, 'tree', BETAS_REL, 'betas_session02.hdf5');
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length - 1000));
    expect(await fieldOf(validateDataset(fixtureManifest(), path.join(dir, 'tree'), [dir]))).toBe(
      'manifest.betas.hdf5',
    );
  });

  it('detects a truncated gzip NIfTI session', async () => {
    const dir = copyTree();
    const f = path.join(dir, 'tree', BETAS_REL, 'betas_session01.nii.gz');
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length - 5000));
    expect(await fieldOf(validateDataset(fixtureManifest(), path.join(dir, 'tree'), [dir]))).toBe(
      'manifest.betas.nifti',
    );
  });

  it('detects an ROI volume whose shape differs from the betas volume', async () => {
    const dir = copyTree();
    const roi = path.join(dir, 'tree', 'nsddata/ppdata/subj01/func1pt8mm/roi');
    copyFileSync(path.join(roi, 'badshape.nii.gz'), path.join(roi, 'rh.nsdgeneral.nii.gz'));
    expect(await fieldOf(validateDataset(fixtureManifest(), path.join(dir, 'tree'), [dir]))).toBe(
      'manifest.atlases[1].file',
    );
  });

  it('lists a missing atlas file (a partial download) and refuses a root outside the allowed roots', async () => {
    const m = fixtureManifest() as any;
    m.atlases.push({
      name: 'streams',
      file: 'nsddata/ppdata/{subject}/{space}/roi/{hemi}streams.nii.gz',
      hemispheres: true,
    });
    const summary = await validateDataset(m, TREE, [FIXTURE_DIR]);
    expect(summary.missing.map((x) => x.path)).toEqual(
      ['', 'lh.', 'rh.'].map((h) => `nsddata/ppdata/subj01/func1pt8mm/roi/${h}streams.nii.gz`),
    );
    expect(summary.subjects[0].atlases.map((a) => a.name)).toEqual(['prf-visualrois', 'nsdgeneral']);
    // An empty folder of its own: os.tmpdir() itself may contain this checkout.
    const elsewhere = makeTempDir('align-elsewhere-');
    expect(await fieldOf(validateDataset(fixtureManifest(), TREE, [elsewhere]))).toBe('root');
  });

  it('resolveDataPath confines paths to the allowed roots', () => {
    expect(resolveDataPath(TREE, 'nsddata', [FIXTURE_DIR])).toBe(path.join(TREE, 'nsddata'));
    expect(() => resolveDataPath(TREE, '../../../x', [FIXTURE_DIR], 'manifest.x')).toThrow(DataValidationError);
    expect(() => resolveDataPath(TREE, '/etc/passwd', [FIXTURE_DIR])).toThrow(/outside/);
  });
});
