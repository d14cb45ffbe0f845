/**
 * `npx tsx bench/stimulus-images.ts` (STIM_IMAGES, STIM_SIZE, STIM_BATCH): reading NSD stimulus images in slabs
 * (src/nsd/stimulus-images.ts) from an imgBrick of NSD's layout (73,000 rows, one image per chunk, only STIM_IMAGES
 * rows written) at 425 x 425 px: batches of STIM_BATCH ids, consecutive (a subject's sorted nsdIds are often
 * adjacent) and scattered. Prints one JSON line: images/s and MB/s of each, and the PNG encoding of one image (ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../src/compute/random';
import { encodePng } from '../src/io/png';
import { openStimulusBrick } from '../src/nsd/stimulus-images';
import { writeSyntheticStimulusImages } from '../src/nsd/synthetic-images';

const num = (k: string, d: number) => Number(process.env[k] ?? d);
const N = num('STIM_IMAGES', 512);
const S = num('STIM_SIZE', 425);
const B = num('STIM_BATCH', 64);
const K = 16;

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-stimuli-'));
try {
  const file = path.join(dir, 'nsd_stimuli.hdf5');
  const rng = new Rng(3);
  const ids = Int32Array.from({ length: N }, (_, i) => 1000 + i);
  const F = Float32Array.from({ length: N * K }, () => (rng.uniform() < 0.2 ? 1 : 0));
  let t = performance.now();
  await writeSyntheticStimulusImages(file, ids, F, K, S, 1);
  const writeSeconds = (performance.now() - t) / 1000;
  const brick = await openStimulusBrick(file);
  const time = (batches: number[][]) => {
    const t0 = performance.now();
    for (const b of batches) brick.read(b);
    const s = (performance.now() - t0) / 1000;
    const n = batches.reduce((a, b) => a + b.length, 0);
    return { imagesPerSecond: Math.round(n / s), mbPerSecond: Math.round((n * S * S * 3) / 1e6 / s) };
  };
  const consecutive = Array.from({ length: N / B }, (_, j) => Array.from(ids.subarray(j * B, (j + 1) * B)));
  const scattered = consecutive
    .map((b) => rng.shuffle(Int32Array.from(b)).filter((_, i) => i % 2 === 0))
    .map((b) => Array.from(b));
  const c = time(consecutive);
  const s = time(scattered);
  const one = brick.read([ids[0]]);
  t = performance.now();
  for (let i = 0; i < 20; i++) encodePng(one.data, S, S, 3);
  const pngMs = (performance.now() - t) / 20;
  brick.close();
  console.log(JSON.stringify({ images: N, size: S, batch: B, writeSeconds, consecutive: c, scattered: s, pngMs }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
