import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FILE_READERS, type FileKind, fileKindOf } from '../../src/io/file-kinds';

const ACTS = path.join(__dirname, '../fixtures/activations');
const SAE = path.join(__dirname, '../fixtures/sae');
const NSD = path.join(
  __dirname,
  '../fixtures/nsd/tree/nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR',
);

describe('the reader table', () => {
  it('names each kind by its extensions, case-insensitive, ".nii.gz" before shorter matches', () => {
    const cases: [string, FileKind | undefined][] = [
      ['a/b.npy', 'npy'],
      ['w.NPZ', 'npz'],
      ['w.safetensors', 'safetensors'],
      ['x.h5', 'hdf5'],
      ['x.hdf5', 'hdf5'],
      ['x.HDF', 'hdf5'],
      ['roi.nii', 'nifti'],
      ['roi.nii.gz', 'nifti'],
      ['ids.csv', 'csv'],
      ['ids.tsv', 'csv'],
      ['ids.txt', 'csv'],
      ['ids.json', 'json'],
      ['archive.gz', undefined],
      ['npy', undefined],
      ['noext', undefined],
    ];
    for (const [file, kind] of cases) expect([file, fileKindOf(file)]).toEqual([file, kind]);
    // Every extension belongs to one kind only.
    const all = Object.values(FILE_READERS).flatMap((r) => [...r.extensions]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('reads each kind through its entry', async () => {
    const npy = FILE_READERS.npy.read(path.join(ACTS, 'ids.npy'));
    const csv = FILE_READERS.csv.read(path.join(ACTS, 'ids_plain.csv'));
    const json = FILE_READERS.json.read(path.join(ACTS, 'ids.json'));
    expect(npy.shape.length).toBe(1);
    expect(csv.filter((r) => r[0] !== '').map((r) => Number(r[0]))).toEqual(Array.from(npy.data, Number));
    expect(Array.isArray(json) ? json : (json as { nsdIds: number[] }).nsdIds).toEqual(Array.from(npy.data, Number));
    const h = await FILE_READERS.hdf5.read(path.join(ACTS, 'acts.h5'), '/nsd_ids');
    try {
      expect(h.info.shape).toEqual([npy.shape[0]]);
    } finally {
      h.close();
    }
    const nii = await FILE_READERS.nifti.read(path.join(NSD, 'ncsnr.nii.gz'));
    expect(nii.info.shape.length).toBe(3);
    expect(nii.data.length).toBe(nii.info.shape.reduce((a, b) => a * b, 1));
    const npz = FILE_READERS.npz.read(path.join(SAE, 'encode_weights.npz'));
    const st = FILE_READERS.safetensors.read(path.join(SAE, 'encode_weights.safetensors'));
    expect(Object.keys(npz).length).toBeGreaterThan(0);
    expect(Object.keys(st.tensors).length).toBeGreaterThan(0);
  });
});
