import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy';
import { openNsdDataset } from '../../src/nsd/dataset';
import { openStimulusBrick, readStimulusImages } from '../../src/nsd/stimulus-images';
import { writeSyntheticNsd } from '../../src/nsd/synthetic';
import { cleanupTempDirs, makeTempDir } from './nsd-fixture';

// Fixtures written by h5py: test/fixtures/stimuli/gen_fixtures.py.
const FIX = path.resolve(import.meta.dirname, '../fixtures/stimuli');
const npy = (f: string) => readNpy(readFileSync(path.join(FIX, f)));

afterAll(cleanupTempDirs);

describe('stimulus image bricks (nsd_stimuli.hdf5 layout)', () => {
  const request = Array.from(npy('request.npy').data as BigInt64Array, Number);
  const expected = npy('expected.npy');

  for (const file of ['brick_contiguous.hdf5', 'brick_chunked.hdf5'])
    it(`reads the rows asked, in their order, as h5py does (${file})`, async () => {
      const brick = await openStimulusBrick(path.join(FIX, file));
      try {
        expect([brick.images, brick.height, brick.width, brick.channels]).toEqual([20, 9, 7, 3]);
        const imgs = brick.read(request);
        expect([imgs.count, imgs.height, imgs.width, imgs.channels]).toEqual([8, 9, 7, 3]);
        expect(expected.shape).toEqual([8, 9, 7, 3]);
        expect(Buffer.from(imgs.data).equals(Buffer.from(expected.data as Uint8Array))).toBe(true);
        // Slabs of one image at a time read the same bytes.
        expect(Buffer.from(brick.read(request, { slabBytes: 1 }).data).equals(Buffer.from(imgs.data))).toBe(true);
      } finally {
        brick.close();
      }
    });

  it('refuses a brick that is not uint8 images and ids outside it', async () => {
    await expect(openStimulusBrick(path.join(FIX, 'brick_float.hdf5'))).rejects.toThrow(/must be uint8/);
    await expect(openStimulusBrick(path.join(FIX, 'missing.hdf5'))).rejects.toThrow(/cannot open HDF5/);
    const brick = await openStimulusBrick(path.join(FIX, 'brick_contiguous.hdf5'));
    try {
      expect(() => brick.read([3, 20])).toThrow(/nsdIds\[1\] = 20/);
      expect(() => brick.read([-1])).toThrow(/nsdIds\[0\]/);
    } finally {
      brick.close();
    }
  });
});

describe('synthetic stimulus images', () => {
  it('writes a 73000-row brick holding only the pool images, which show their features', async () => {
    const dir = makeTempDir('stimuli-');
    const r = await writeSyntheticNsd(dir, {
      subjects: 1,
      sessions: 1,
      trialsPerSession: 120,
      images: 60,
      sharedImages: 10,
      imageSize: 16,
    });
    const ds = openNsdDataset(r.manifest, r.root, [dir]);
    const ids = readNpy(readFileSync(r.groundTruth.nsdIds)).data as Int32Array;
    const F = readNpy(readFileSync(r.groundTruth.features));
    const K = F.shape[1];
    const imgs = await readStimulusImages(ds, ids);
    expect([imgs.count, imgs.height, imgs.width, imgs.channels]).toEqual([ids.length, 16, 16, 3]);
    for (let p = 0; p < ids.length; p++) {
      const img = imgs.data.subarray(p * 768, (p + 1) * 768);
      const active = Array.from({ length: K }, (_, k) => (F.data as Float32Array)[p * K + k]).some((v) => v > 0);
      // A blank image is the background grey (40) everywhere; an image with an active feature is not.
      expect(img.some((v) => v !== 40)).toBe(active);
    }
    // A row outside the pool is unallocated and reads as zeros.
    const outside = Array.from({ length: 73000 }, (_, i) => i).find((i) => !ids.includes(i))!;
    expect((await readStimulusImages(ds, [outside])).data.every((v) => v === 0)).toBe(true);
  });
});
