import { afterAll, describe, expect, it } from 'vitest';
import { symlinkSync, cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openNsdDataset, discoverSubjects, discoverSessions, stimuliPath } from '../../src/nsd/dataset';
import { loadRoiMask } from '../../src/nsd/rois';
import { loadSubjectRoiBetas } from '../../src/nsd/subject-betas';
import { loadNcsnr } from '../../src/nsd/volumes';
import { loadSubjectRoiData } from '../../src/nsd/roi-data';
import { noiseCeiling } from '../../src/nsd/noise-ceiling';
import { readStimulusTable, subjectTrialImages } from '../../src/nsd/stimuli';
import { DataValidationError } from '../../src/errors';
import {
  FIXTURE_DIR,
  TREE,
  expectedJson,
  fixtureManifest,
  maxRelDiff,
  npy,
  cleanupTempDirs,
  makeTempDir,
} from './nsd-fixture';

const ds = () => openNsdDataset(fixtureManifest(), TREE, [FIXTURE_DIR]);
const exp = expectedJson();
const sel = npy('expected_sel_indices.npy').data as Int32Array;

afterAll(cleanupTempDirs);

describe('NSD dataset on the h5py/nibabel fixture', () => {
  it('discovers subjects and sessions from the files present', () => {
    const d = ds();
    expect(discoverSubjects(d)).toEqual([1]);
    expect(discoverSessions(d, 1)).toEqual([1, 2]);
    expect(discoverSessions(d, 1, 'nifti')).toEqual([1, 2]);
  });

  it('maps global trials to nsdIds through the rep columns', () => {
    const t = readStimulusTable(stimuliPath(ds()));
    expect(t.nsdIds.length).toBe(exp.n_rows);
    expect(t.subjects).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(t.shared1000).reduce((a, b) => a + b, 0)).toBe(exp.shared_count);
    const trials = subjectTrialImages(t, 1);
    expect(trials.length).toBe(2250);
    expect(Array.from(trials.subarray(0, 10))).toEqual(exp.trial_images_first10);
  });

  it('selects ROI voxels: single label, union within nsdgeneral, hemisphere variant', async () => {
    const d = ds();
    expect(Array.from((await loadRoiMask(d, 1, { atlas: 'prf-visualrois', labels: ['V1v'] })).voxelIndices)).toEqual(
      exp.v1v_only,
    );
    const u = await loadRoiMask(d, 1, { atlas: 'prf-visualrois', labels: ['V1v', 4], withinNsdgeneral: true });
    expect(Array.from(u.voxelIndices)).toEqual(exp.selection_v1v_v2d_in_general);
    expect(u.shape).toEqual([7, 5, 4]);
    expect(
      Array.from((await loadRoiMask(d, 1, { atlas: 'prf-visualrois', labels: [1], hemisphere: 'lh' })).voxelIndices),
    ).toEqual(exp.lh_v1v);
  });

  it('unknown labels and atlases throw typed errors naming the field', async () => {
    const e1 = await loadRoiMask(ds(), 1, { atlas: 'prf-visualrois', labels: ['V1v', 'V9'] }).catch((e) => e);
    expect(e1).toBeInstanceOf(DataValidationError);
    expect(e1.field).toBe('roi.labels[1]');
    const e2 = await loadRoiMask(ds(), 1, { atlas: 'nope', labels: [1] }).catch((e) => e);
    expect(e2.field).toBe('roi.atlas');
  });

  it('an ROI volume of the wrong shape throws naming the atlas file field', async () => {
    const m = fixtureManifest() as any;
    m.atlases.push({
      name: 'bad',
      file: 'nsddata/ppdata/{subject}/{space}/roi/badshape.nii.gz',
      hemispheres: false,
      labels: { '1': 'x' },
    });
    const d = openNsdDataset(m, TREE, [FIXTURE_DIR]);
    const e = await loadRoiMask(d, 1, { atlas: 'bad', labels: ['x'] }, [7, 5, 4]).catch((x) => x);
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e.field).toBe('manifest.atlases[2].file');
  });

  for (const format of ['hdf5', 'nifti'] as const) {
    it(`loads z-scored repetition averages equal to numpy (${format})`, async () => {
      const progress: number[] = [];
      const r = await loadSubjectRoiBetas(ds(), 1, sel, { format, onProgress: (p) => progress.push(p.done) });
      expect(Array.from(r.nsdIds)).toEqual(Array.from(npy('expected_avg_ids.npy').data as Int32Array));
      expect(Array.from(r.repetitions)).toEqual(Array.from(npy('expected_avg_reps.npy').data as Uint8Array));
      expect([r.betas.rows, r.betas.cols]).toEqual([r.nsdIds.length, sel.length]);
      expect(maxRelDiff(r.betas.data, npy('expected_avg.npy').data as Float32Array)).toBeLessThan(3e-6);
      expect(progress).toEqual([0, 1, 2]);
      expect(r.unmappedTrials).toBe(0);
      // voxel coordinates agree with the flat index x + X*(y + Y*z)
      for (let k = 0; k < sel.length; k++) {
        const [x, y, z] = r.voxelCoords.subarray(3 * k, 3 * k + 3);
        expect(x + 7 * (y + 5 * z)).toBe(sel[k]);
      }
    });
  }

  it('restricts to requested nsdIds and rejects unknown ones', async () => {
    const ids = npy('expected_avg_ids.npy').data as Int32Array;
    const r = await loadSubjectRoiBetas(ds(), 1, sel, { nsdIds: [ids[5], ids[2]] });
    expect(Array.from(r.nsdIds)).toEqual([ids[2], ids[5]]);
    const e = await loadSubjectRoiBetas(ds(), 1, sel, { nsdIds: [ids[0], 72999] }).catch((x) => x);
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e.field).toBe('nsdIds');
  });

  it('stops on abort', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(loadSubjectRoiBetas(ds(), 1, sel, { signal: ac.signal })).rejects.toThrow(/abort/);
  });

  it('noise ceiling from ncsnr with mixed repetition counts equals numpy', async () => {
    const ncsnr = await loadNcsnr(ds(), 1, sel, [7, 5, 4]);
    const nc = noiseCeiling(ncsnr, npy('expected_avg_reps.npy').data as Uint8Array);
    expect(maxRelDiff(nc, npy('expected_nc.npy').data as Float32Array)).toBeLessThan(1e-6);
    // analytic: ncsnr = 1, all single repetitions -> 50 %
    expect(noiseCeiling([1], [1])[0]).toBeCloseTo(50, 6);
  });

  it('paths outside the data roots throw, symlinks included', () => {
    const m = fixtureManifest() as any;
    m.stimuli = '../../../../../etc/passwd';
    const d = openNsdDataset(m, TREE, [FIXTURE_DIR]);
    let e: any;
    try {
      stimuliPath(d);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e.field).toBe('manifest.stimuli');
    const dir = makeTempDir('nsd-link-');
    cpSync(TREE, path.join(dir, 'tree'), { recursive: true });
    symlinkSync('/etc', path.join(dir, 'tree', 'escape'));
    const m2 = fixtureManifest() as any;
    m2.stimuli = 'escape/passwd';
    const d2 = openNsdDataset(m2, path.join(dir, 'tree'), [dir]);
    expect(() => stimuliPath(d2)).toThrow(DataValidationError);
    expect(() => openNsdDataset(fixtureManifest(), TREE, [dir])).toThrow(DataValidationError);
    writeFileSync(path.join(dir, 'x'), '');
  });

  it('a bad manifest names the field', () => {
    const m = fixtureManifest() as any;
    m.betas.format = 'zarr';
    let e: any;
    try {
      openNsdDataset(m, TREE, [FIXTURE_DIR]);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(DataValidationError);
    expect(e.field).toBe('manifest.betas.format');
  });

  it('loadSubjectRoiData combines the ROI, betas and noise ceiling consistently with numpy', async () => {
    const r = await loadSubjectRoiData(ds(), 1, {
      atlas: 'prf-visualrois',
      labels: ['V1v', 'V2d'],
      withinNsdgeneral: true,
    });
    expect(Array.from(r.voxelIndices)).toEqual(exp.selection_v1v_v2d_in_general);
    const cols = Array.from(r.voxelIndices, (v) => Array.from(sel).indexOf(v));
    const avg = npy('expected_avg.npy').data as Float32Array;
    const nc = npy('expected_nc.npy').data as Float32Array;
    const want = new Float32Array(r.betas.rows * cols.length);
    for (let i = 0; i < r.betas.rows; i++)
      cols.forEach((c, j) => {
        want[i * cols.length + j] = avg[i * sel.length + c];
      });
    expect(maxRelDiff(r.betas.data, want)).toBeLessThan(3e-6);
    expect(
      maxRelDiff(
        r.noiseCeiling!,
        cols.map((c) => nc[c]),
      ),
    ).toBeLessThan(1e-6);
  });
});
