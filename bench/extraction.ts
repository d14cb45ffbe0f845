/**
 * Extraction benchmark (issue 23; not part of the tests). `npm run bench:extraction`
 *
 * 1. Throughput: torchvision ResNet-50 (seeded random weights; exported to ONNX by bench/extraction_torch.py with
 *    /usr/bin/python3 and torch) over BENCH_X_IMAGES random 425 x 425 images (NSD's size), resized to 256 and cut
 *    to 224, tapping layer1-4 with centre pooling: the service's extraction core (onnxruntime-node, intra-op threads
 *    = BENCH_X_THREADS, default 2) and torch CPU (torch.set_num_threads the same) side by side: BENCH_X_ROUNDS
 *    rounds of one then the other, each after a one-batch warm-up. Images/s each and the ratio of the best rounds.
 * 2. The whole path for one subject at reduced size through the HTTP API: a synthetic dataset (BENCH_X_SESSIONS
 *    sessions of 750 trials, 24 x 24 stimulus images, resized up to 256 and cut to 224 as NSD's would be), the
 *    ResNet-50 given as the model's network by path, an extraction of layer4 (centre), a TopK SAE trained on it,
 *    and a study (neurons and SAE latents over prf-visualrois); seconds per stage.
 * Prints one JSON line per measurement. Environment: BENCH_X_IMAGES (96), BENCH_X_BATCH (16), BENCH_X_THREADS (2),
 * BENCH_X_ROUNDS (2), BENCH_X_SESSIONS (1), BENCH_X_PATH=0 skips part 2, BENCH_X_THROUGHPUT=0 part 1,
 * BENCH_PYTHON (/usr/bin/python3), BENCH_CACHE (data/bench-cache).
 */
import '../src/http/openapi-registry';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiClient } from '../src/cli/api-client';
import { loadConfig } from '../src/config';
import { extractActivations } from '../src/extract/run';
import { writeH5DatasetInSlabs } from '../src/io/hdf5-write';
import { writeNpy } from '../src/io/npy';
import { writeSyntheticNsd } from '../src/nsd/synthetic';
import { startService } from '../src/server';
import { NSD_STIMULI_FILE } from '../src/nsd/manifest';
import { freePort } from '../test/helpers/ports';

const env = process.env;
const IMAGES = Number(env.BENCH_X_IMAGES ?? '96');
const BATCH = Number(env.BENCH_X_BATCH ?? '16');
const THREADS = Number(env.BENCH_X_THREADS ?? '2');
const ROUNDS = Number(env.BENCH_X_ROUNDS ?? '2');
const SESSIONS = Number(env.BENCH_X_SESSIONS ?? '1');
const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
const cache = path.resolve(env.BENCH_CACHE ?? 'data/bench-cache', 'extraction');
const SIDE = 425;

const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function ensureNetwork(): { onnx: string; taps: { module: string; tensor: string }[] } {
  const onnx = path.join(cache, 'resnet50.onnx');
  if (!existsSync(onnx)) execFileSync(PYTHON, ['bench/extraction_torch.py', 'export', cache], { stdio: 'inherit' });
  return { onnx, taps: JSON.parse(readFileSync(path.join(cache, 'resnet50.json'), 'utf8')).taps };
}

/** Random NSD-sized RGB images (uint8 N x 425 x 425 x 3), also written as .npy for torch. */
function images(n: number): { data: Uint8Array; file: string } {
  let s = 12345;
  const data = new Uint8Array(n * SIDE * SIDE * 3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  const file = path.join(cache, `images-${n}.npy`);
  writeFileSync(file, writeNpy(data, [n, SIDE, SIDE, 3]));
  return { data, file };
}

async function serviceRun(onnx: string, taps: { tensor: string }[], data: Uint8Array, n: number) {
  const one = SIDE * SIDE * 3;
  const out = mkdtempSync(path.join(tmpdir(), 'bench-x-'));
  try {
    return await extractActivations({
      model: new Uint8Array(readFileSync(onnx)),
      taps: taps.map((t) => ({ tensor: t.tensor, pooling: 'centre' as const })),
      preprocessing: { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      nsdIds: Array.from({ length: n }, (_, i) => i),
      images: async (ids) => ({
        data: data.subarray(ids[0] * one, (ids[ids.length - 1] + 1) * one),
        height: SIDE,
        width: SIDE,
      }),
      outFiles: taps.map((_, i) => path.join(out, `${i}.npy`)),
      batchSize: BATCH,
      threads: THREADS,
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** BENCH_X_ROUNDS rounds of service then torch (the machine's load drifts): each round printed, the best of each compared. */
async function throughput() {
  const { onnx, taps } = ensureNetwork();
  const imgs = images(IMAGES);
  await serviceRun(onnx, taps, imgs.data, BATCH); // warm-up: one batch
  const best = { service: 0, torch: 0 };
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    const t = performance.now();
    await serviceRun(onnx, taps, imgs.data, IMAGES);
    const seconds = (performance.now() - t) / 1000;
    const service = {
      path: 'service (onnxruntime-node)',
      round: round_,
      threads: THREADS,
      images: IMAGES,
      seconds: round(seconds, 3),
      imagesPerSecond: round(IMAGES / seconds),
    };
    emit(service);
    const args = ['bench/extraction_torch.py', 'time', imgs.file, String(THREADS), String(BATCH)];
    const torch = JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' }).trim().split('\n').pop() as string);
    emit({ ...torch, round: round_ });
    best.service = Math.max(best.service, service.imagesPerSecond);
    best.torch = Math.max(best.torch, torch.imagesPerSecond);
  }
  emit({
    ratio: 'service / torch images per second (best round each)',
    value: round(best.service / best.torch, 3),
    best,
    network: 'resnet50',
    size: 224,
    batch: BATCH,
  });
}

/** A 73,000-image stimulus brick of small images (the ids of the synthetic set are drawn from all of NSD's). */
async function writeBrick(root: string, side: number) {
  const file = path.join(root, NSD_STIMULI_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  const one = side * side * 3;
  await writeH5DatasetInSlabs(file, {
    name: 'imgBrick',
    shape: [73_000, side, side, 3],
    dtype: '<B',
    chunks: [64, side, side, 3],
    axis: 0,
    step: 4096,
    slab: (from, to) =>
      Uint8Array.from({ length: (to - from) * one }, (_, i) => (Math.imul(from * one + i, 2654435761) >>> 24) & 0xff),
  });
}

async function waitJob(api: ApiClient, jobId: string): Promise<void> {
  for (;;) {
    // a reset connection under heavy load is not the job's failure: poll again
    const job = await api.get(`/v1/jobs/${jobId}`).catch(() => ({ state: 'polling' }));
    if (job.state === 'completed') return;
    if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`job ${jobId} ${job.state}: ${job.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function timed<T>(stages: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  stages[name] = round((performance.now() - t) / 1000);
  return out;
}

async function wholePath(onnx: string, layer4: string) {
  const base = mkdtempSync(path.join(tmpdir(), 'bench-x-path-'));
  chmodSync(base, 0o755); // the embedded PostgreSQL runs as another user
  try {
    await pathIn(base, onnx, layer4);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function pathIn(base: string, onnx: string, layer4: string) {
  const stages: Record<string, number> = {};
  const root = path.join(base, 'roots', 'syn');
  const syn = await timed(stages, 'writeDataset', async () => {
    const s = await writeSyntheticNsd(root, {
      subjects: 1,
      sessions: SESSIONS,
      images: Math.ceil((SESSIONS * 750) / 2.99),
      sharedImages: 50,
      formats: ['hdf5'],
      volumeShape: [24, 24, 14],
    });
    await writeBrick(s.root, 24);
    return s;
  });
  const { DATABASE_URL: _unused, ...rest } = env;
  const config = loadConfig({
    ...rest,
    ALIGN_DATA_DIR: path.join(base, 'service'),
    ALIGN_DATA_ROOTS: [path.join(base, 'roots'), cache].join(path.delimiter),
    ALIGN_ADMIN_KEY: 'bench-extraction-key-0123456789',
    ALIGN_WORKERS: '1',
    PORT: String(await freePort()),
    ALIGN_PG_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  const service = await startService(config);
  try {
    const api = new ApiClient(service.url, config.adminKey);
    const ds = await api.post('/v1/datasets', { name: 'bench-x', root: syn.root, manifestPath: syn.manifestPath });
    const model = await api.post('/v1/models', { name: 'resnet50' });
    await timed(stages, 'attachNetwork', () => api.request('PUT', `/v1/models/${model.id}/network`, { path: onnx }));
    const ex = await timed(stages, 'extraction', async () => {
      const e = await api.post(`/v1/models/${model.id}/extractions`, {
        datasetId: ds.id,
        subjects: ['subj01'],
        layers: [{ tensor: layer4, name: 'layer4', pooling: 'centre' }],
        batchSize: BATCH,
      });
      await waitJob(api, e.jobId);
      return api.get(`/v1/extractions/${e.id}`);
    });
    const layerId = ex.layerIds[0];
    const sae = await timed(stages, 'sae', async () => {
      const s = await api.post(`/v1/layers/${layerId}/saes`, { k: 32, expansion: 2, epochs: 20, seed: 0 });
      await waitJob(api, s.jobId);
      return s;
    });
    await timed(stages, 'study', async () => {
      const rois = ['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4'].map((l) => `prf-visualrois/${l}`);
      const created = await api.post('/v1/studies', {
        datasetId: ds.id,
        subjects: ['subj01'],
        layerIds: [layerId],
        representations: ['neurons', { saeId: sae.id }],
        rois,
        folds: { k: 5, seed: 0 },
      });
      let study = created;
      while (study.cells.some((c: { status: string }) => c.status === 'queued' || c.status === 'running')) {
        await new Promise((r) => setTimeout(r, 1000));
        study = await api.get(`/v1/studies/${created.id}`).catch(() => study);
      }
      if (study.state !== 'succeeded') throw new Error(`study ${study.state}`);
    });
    emit({
      path: 'extraction -> SAE -> study',
      subject: 'subj01',
      images: ex.stimulusCount,
      sessions: SESSIONS,
      network: 'resnet50',
      layer: 'layer4 (centre, 2048 units)',
      seconds: stages,
    });
  } finally {
    await service.stop();
  }
}

async function main() {
  mkdirSync(cache, { recursive: true });
  const { onnx, taps } = ensureNetwork();
  if (env.BENCH_X_THROUGHPUT !== '0') await throughput();
  if (env.BENCH_X_PATH === '0') return;
  await wholePath(onnx, taps[taps.length - 1].tensor);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
