/**
 * writeSyntheticNsd streams: one session in memory and on the way to disk at a time (NSD size would otherwise
 * need the signal of every image, ~28 GB), HDF5 written in z slabs that still read back as the NIfTI copy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { writeSyntheticNsd } from '../../src/nsd/synthetic';
import { readNsdBetasSession } from '../../src/nsd/betas-session';
import { readRoiVolume } from '../../src/nsd/rois';
import { cleanupTempDirs, makeTempDir } from './nsd-fixture';

afterAll(cleanupTempDirs);

// A full collection before measuring, so that arrayBuffers counts what the writer still holds, not garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('writeSyntheticNsd (streaming)', () => {
  const betasFile = (dir: string, s: number, ext: string) =>
    path.join(
      dir,
      `nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR/betas_session${String(s).padStart(2, '0')}.${ext}`,
    );

  it('writes session by session and never holds the signal of every image', async () => {
    // 40x40x30 voxels x 750 trials = 72 MB per int16 session (large enough for the threaded write); 1,500 images: the whole float32 signal would be
    // 1,510 x 48,000 x 4 = 290 MB.
    const shape: [number, number, number] = [40, 40, 30];
    const V = shape[0] * shape[1] * shape[2];
    const sessions = 2;
    const signalBytes = (1500 + 10) * V * 4;
    const sessionBytes = 750 * V * 2;
    const dir = path.join(makeTempDir('nsd-syn-stream-'), 'set');
    const seen: { session: number; files: string[]; later: boolean[]; arrayBuffers: number }[] = [];
    const r = await writeSyntheticNsd(dir, {
      subjects: 1,
      sessions,
      volumeShape: shape,
      images: 1500,
      sharedImages: 100,
      formats: ['hdf5'],
      onSession: ({ session, files }) => {
        gc();
        const later = Array.from({ length: sessions - session }, (_, i) =>
          existsSync(betasFile(dir, session + 1 + i, 'hdf5')),
        );
        seen.push({ session, files, later, arrayBuffers: process.memoryUsage().arrayBuffers });
      },
    });
    expect(seen.map((s) => s.session)).toEqual([1, 2]);
    for (const s of seen) {
      expect(s.files).toEqual([betasFile(dir, s.session, 'hdf5')]);
      expect(existsSync(s.files[0])).toBe(true);
      expect(s.later.every((e) => !e)).toBe(true); // later sessions are not written yet
      // two session buffers (72 MB each: one drawn while the other is written in a thread) and per-voxel
      // state, not the 290 MB signal of every image
      expect(s.arrayBuffers).toBeLessThan(2.3 * sessionBytes);
      expect(2.3 * sessionBytes).toBeLessThan(signalBytes);
    }
    expect(r.files).toEqual(expect.arrayContaining(seen.flatMap((s) => s.files)));
  }, 600_000);

  it('HDF5 written in z slabs holds exactly the NIfTI copy of the same session', async () => {
    const shape: [number, number, number] = [12, 10, 9];
    const V = shape[0] * shape[1] * shape[2];
    const dir = path.join(makeTempDir('nsd-syn-slab-'), 'set');
    // 750 x 120 x 2 bytes per plane: 4 planes per slab -> slabs of 4, 4 and 1 planes (create, resize, two slices)
    await writeSyntheticNsd(dir, {
      subjects: 1,
      sessions: 1,
      volumeShape: shape,
      images: 400,
      formats: ['hdf5', 'nifti'],
      hdf5SlabBytes: 4 * 750 * 120 * 2,
    });
    const all = Int32Array.from({ length: V }, (_, i) => i);
    const h5 = await readNsdBetasSession(betasFile(dir, 1, 'hdf5'), 'hdf5', all);
    const nifti = await readNsdBetasSession(betasFile(dir, 1, 'nii.gz'), 'nifti', all);
    expect(h5.data).toEqual(nifti.data);
    const prf = await readRoiVolume(path.join(dir, 'nsddata/ppdata/subj01/func1pt8mm/roi/prf-visualrois.nii.gz'), 'x');
    // the last plane (its own slab) holds brain values, not the fill value
    let nonZero = 0;
    for (let v = V - shape[0] * shape[1]; v < V; v++) if (prf.labels[v] >= 0 && h5.data[100 * V + v] !== 0) nonZero++;
    expect(nonZero).toBeGreaterThan(0);
  }, 120_000);

  it('a session written in a thread while the next is drawn holds exactly its NIfTI copy', async () => {
    // every session takes the threaded HDF5 write (72 MB sessions would by default); 3 sessions use both
    // buffers and reuse the first
    const shape: [number, number, number] = [16, 14, 12];
    const V = shape[0] * shape[1] * shape[2];
    const dir = path.join(makeTempDir('nsd-syn-thread-'), 'set');
    const order: number[] = [];
    await writeSyntheticNsd(dir, {
      subjects: 1,
      sessions: 3,
      volumeShape: shape,
      images: 800,
      formats: ['hdf5', 'nifti'],
      threadedWriteBytes: 0,
      onSession: ({ session }) => order.push(session),
    });
    expect(order).toEqual([1, 2, 3]);
    const voxels = Int32Array.from({ length: V }, (_, i) => i);
    const firstTrials: number[] = [];
    for (let s = 1; s <= 3; s++) {
      const h5 = await readNsdBetasSession(betasFile(dir, s, 'hdf5'), 'hdf5', voxels);
      const nifti = await readNsdBetasSession(betasFile(dir, s, 'nii.gz'), 'nifti', voxels);
      expect(h5.data).toEqual(nifti.data);
      firstTrials.push(h5.data.slice(0, V).reduce((a, b) => a + Math.abs(b), 0));
    }
    expect(new Set(firstTrials).size).toBe(3); // three different sessions, not one buffer written thrice
  }, 300_000);

  it('keeps every ROI label inside roiBox and leaves the rest of the cortex unlabelled', async () => {
    const dir = path.join(makeTempDir('nsd-syn-box-'), 'set');
    const box: [number, number, number] = [10, 8, 8];
    const vol: [number, number, number] = [16, 14, 12];
    await writeSyntheticNsd(dir, {
      subjects: 1,
      sessions: 1,
      volumeShape: vol,
      images: 400,
      formats: ['hdf5'],
      extraAtlases: true,
      roiBox: box,
    });
    const o = box.map((b, d) => Math.floor((vol[d] - b) / 2));
    const inBox = (i: number) => {
      const x = i % vol[0],
        y = Math.floor(i / vol[0]) % vol[1],
        z = Math.floor(i / (vol[0] * vol[1]));
      return [x, y, z].every((c, d) => c >= o[d] && c < o[d] + box[d]);
    };
    for (const [atlas, labels] of [
      ['prf-visualrois', 7],
      ['floc-faces', 5],
      ['streams', 7],
    ] as const) {
      const v = await readRoiVolume(path.join(dir, `nsddata/ppdata/subj01/func1pt8mm/roi/${atlas}.nii.gz`), 'x');
      const found = new Set<number>();
      v.labels.forEach((l, i) => {
        if (l > 0) {
          expect(inBox(i)).toBe(true);
          found.add(l);
        }
      });
      expect([...found].sort((a, b) => a - b)).toEqual(Array.from({ length: labels }, (_, i) => i + 1));
    }
    await expect(writeSyntheticNsd(path.join(dir, 'bad'), { volumeShape: vol, roiBox: [16, 6, 5] })).rejects.toThrow(
      /roiBox/,
    );
  }, 120_000);
});
