import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeSyntheticNsd, type SyntheticNsdResult } from '../../src/nsd/synthetic';
import { openNsdDataset, discoverSubjects, discoverSessions, betasPath } from '../../src/nsd/dataset';
import { loadRoiMask } from '../../src/nsd/rois';
import { loadSubjectRoiBetas } from '../../src/nsd/subject-betas';
import { readNsdBetasSession } from '../../src/nsd/betas-session';
import { readActivations } from '../../src/activations/load';
import { readStimulusIds } from '../../src/activations/stimulus-ids';
import { alignActivationsToStimuli } from '../../src/activations/align';
import { readNpy } from '../../src/io/npy';
import { maskToIndices } from '../../src/nsd/voxels';
import { readRoiVolume } from '../../src/nsd/rois';
import { atlasPath } from '../../src/nsd/dataset';
import { cleanupTempDirs, makeTempDir } from './nsd-fixture';

/** Ridge fit on the first rows, Pearson r per target on the rest (normal equations, Gauss-Jordan). */
function heldOutR(
  Xm: Float32Array,
  n: number,
  p: number,
  Ym: Float32Array,
  q: number,
  nTrain: number,
  lambda: number,
): number[] {
  const mean = (m: Float32Array, c: number, j: number) => {
    let s = 0;
    for (let i = 0; i < nTrain; i++) s += m[i * c + j];
    return s / nTrain;
  };
  const mx = Array.from({ length: p }, (_, j) => mean(Xm, p, j));
  const my = Array.from({ length: q }, (_, j) => mean(Ym, q, j));
  const A = Array.from({ length: p }, () => new Float64Array(p + q));
  for (let i = 0; i < nTrain; i++)
    for (let a = 0; a < p; a++) {
      const xa = Xm[i * p + a] - mx[a];
      for (let b = 0; b < p; b++) A[a][b] += xa * (Xm[i * p + b] - mx[b]);
      for (let t = 0; t < q; t++) A[a][p + t] += xa * (Ym[i * q + t] - my[t]);
    }
  for (let a = 0; a < p; a++) A[a][a] += lambda;
  for (let c = 0; c < p; c++) {
    const piv = A[c][c];
    for (let k = 0; k < p + q; k++) A[c][k] /= piv;
    for (let r = 0; r < p; r++)
      if (r !== c) {
        const f = A[r][c];
        if (f) for (let k = 0; k < p + q; k++) A[r][k] -= f * A[c][k];
      }
  }
  const rs: number[] = [];
  for (let t = 0; t < q; t++) {
    const pred: number[] = [],
      obs: number[] = [];
    for (let i = nTrain; i < n; i++) {
      let s = my[t];
      for (let a = 0; a < p; a++) s += (Xm[i * p + a] - mx[a]) * A[a][p + t];
      pred.push(s);
      obs.push(Ym[i * q + t]);
    }
    const mp = pred.reduce((x, y) => x + y) / pred.length,
      mo = obs.reduce((x, y) => x + y) / obs.length;
    let sxy = 0,
      sxx = 0,
      syy = 0;
    pred.forEach((v, i) => {
      sxy += (v - mp) * (obs[i] - mo);
      sxx += (v - mp) ** 2;
      syy += (obs[i] - mo) ** 2;
    });
    rs.push(sxy / Math.sqrt(sxx * syy));
  }
  return rs;
}

afterAll(cleanupTempDirs);

describe('writeSyntheticNsd', () => {
  let r: SyntheticNsdResult;
  let root: string;
  beforeAll(async () => {
    root = makeTempDir('nsd-syn-');
    r = await writeSyntheticNsd(path.join(root, 'set'), { subjects: 2 });
  });
  const ds = () => openNsdDataset(JSON.parse(readFileSync(r.manifestPath, 'utf8')), r.root, [root]);

  it('writes the NSD layout that discovery finds', () => {
    expect(discoverSubjects(ds())).toEqual([1, 2]);
    expect(discoverSessions(ds(), 2, 'nifti')).toEqual([1, 2, 3]);
    expect(betasPath(ds(), 1, 3)).toMatch(
      /nsddata_betas\/ppdata\/subj01\/func1pt8mm\/betas_fithrf_GLMdenoise_RR\/betas_session03\.hdf5$/,
    );
  });

  it('HDF5 and NIfTI sessions hold the same values; outside-brain voxels are 0', async () => {
    const d = ds();
    const all = Int32Array.from({ length: 12 * 10 * 8 }, (_, i) => i);
    const a = await readNsdBetasSession(betasPath(d, 1, 2, 'hdf5'), 'hdf5', all);
    const b = await readNsdBetasSession(betasPath(d, 1, 2, 'nifti'), 'nifti', all);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const prf = await readRoiVolume(atlasPath(d, 'prf-visualrois', 1), 'x');
    const outside = maskToIndices(prf.labels.map((v) => (v < 0 ? 1 : 0)));
    expect(outside.length).toBeGreaterThan(0);
    for (let t = 0; t < a.trials; t += 50) for (const v of outside) expect(a.data[t * a.voxels + v]).toBe(0);
  });

  it('each subject sees its images with repetition counts summing to the trials', async () => {
    const d = ds();
    const m = await loadRoiMask(d, 1, { atlas: 'prf-visualrois', labels: ['V1v'] });
    const [h, n] = await Promise.all([
      loadSubjectRoiBetas(d, 1, m.voxelIndices),
      loadSubjectRoiBetas(d, 1, m.voxelIndices, { format: 'nifti' }),
    ]);
    expect(h.nsdIds.length).toBe(1000);
    expect(h.repetitions.reduce((x, y) => x + y, 0)).toBe(3 * 750);
    expect(Math.max(...h.repetitions)).toBe(3);
    expect(Array.from(h.betas.data)).toEqual(Array.from(n.betas.data));
  });

  it('layers align by nsdId and predict ROI voxels clearly above chance (ridge, held out)', async () => {
    const d = ds();
    const m = await loadRoiMask(d, 1, { atlas: 'prf-visualrois', labels: ['V1v', 'V2v'], withinNsdgeneral: true });
    const betas = await loadSubjectRoiBetas(d, 1, m.voxelIndices);
    for (const layer of r.layers) {
      const acts = await readActivations(layer.activations);
      const ids = await readStimulusIds(layer.stimulusIds);
      expect(Array.from(ids.slice(0, 20))).not.toEqual(Array.from(ids.slice(0, 20)).sort((a, b) => a - b));
      const a = alignActivationsToStimuli(acts, ids, betas.nsdIds);
      expect(a.missing.length).toBe(0);
      expect(a.extra.length).toBe(900 + 10); // the other subject's own images + never-shown images
      const rs = heldOutR(a.matrix.data, a.matrix.rows, a.matrix.cols, betas.betas.data, betas.betas.cols, 700, 1);
      const med = [...rs].sort((x, y) => x - y)[Math.floor(rs.length / 2)];
      expect(med).toBeGreaterThan(0.3);
    }
    // ground-truth features predict better than any layer mixes them
    const F = readNpy(readFileSync(r.groundTruth.features));
    const fids = readNpy(readFileSync(r.groundTruth.nsdIds)).data as Int32Array;
    const fa = alignActivationsToStimuli(
      { rows: F.shape[0], cols: F.shape[1], data: F.data as Float32Array },
      fids,
      betas.nsdIds,
    );
    const rs = heldOutR(fa.matrix.data, fa.matrix.rows, fa.matrix.cols, betas.betas.data, betas.betas.cols, 700, 1);
    expect(rs.reduce((x, y) => x + y) / rs.length).toBeGreaterThan(0.5);
  });
});
