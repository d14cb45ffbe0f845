/**
 * Benchmark Case E (issue #24; not part of the tests): the paper's brain grid for one subject through the HTTP
 * API. Four layers with ResNet-50 stage widths after the authors' centre-position sampling (256, 512, 1,024,
 * 2,048 units), each as neurons, as latents of an SAE trained through the API (expansion 4, k 32; timed
 * separately) and as that SAE's random twin, over the 20 ROIs of Case D (V1v, V2v, V3v, hV4, FFA and ventral
 * among them), paired statistics on. Prints one JSON line: tree and SAE-training seconds, the study's wall,
 * per unit (subject x layer) its wall and per representation its stages, peak RSS of this process (service and
 * workers run in it), and the 4-subject grid extrapolated (4 x the study + 4 x the SAE training).
 *
 * Full size (NSD): BENCH_E_SESSIONS=40 BENCH_E_VOLUME=81x104x83 BENCH_E_WIDTH_SCALE=1 (measured with
 * BENCH_E_EPOCHS=2; the paper trains 100: bench/results/case-e.md).
 * The defaults are a reduced size that finishes in minutes on 2 cores (see the printed "sizes").
 * The NSD tree is written once, in a child process, into BENCH_CACHE (default data/bench-cache), keyed by its
 * sizes, and reused by later runs: at full size it is ~42 GB of int16 betas and takes 21 minutes to write here,
 * so keep the cache (or point BENCH_CACHE at a shared one) between runs. BENCH_E_VERIFY_TREE=1 writes it again
 * with the current writer, checks every file against the cache and prints the writer's seconds.
 * Environment: BENCH_E_SESSIONS (8), BENCH_E_VOLUME (24x24x14), BENCH_E_WIDTH_SCALE (0.25), BENCH_E_EPOCHS (5),
 *              BENCH_E_K (32), BENCH_E_EXPANSION (4), BENCH_CACHE.
 */
// zod's OpenAPI extension must load before any schema module (the service's routes use it).
import '../src/http/openapi-registry';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/cli/api-client';
import { loadConfig } from '../src/config';
import { writeSyntheticNsd } from '../src/nsd/synthetic';
import { startService } from '../src/server';
import { freePort } from '../test/helpers/ports';

const env = process.env;
const SESSIONS = Number(env.BENCH_E_SESSIONS ?? '8');
const VOLUME = (env.BENCH_E_VOLUME ?? '24x24x14').split('x').map(Number) as [number, number, number];
const WIDTH_SCALE = Number(env.BENCH_E_WIDTH_SCALE ?? '0.25');
const WIDTHS = [256, 512, 1024, 2048].map((w) => Math.max(8, Math.round(w * WIDTH_SCALE)));
const EPOCHS = Number(env.BENCH_E_EPOCHS ?? '5');
const K = Number(env.BENCH_E_K ?? '32');
const EXPANSION = Number(env.BENCH_E_EXPANSION ?? '4');
const TRIALS = 750;
// NSD: 30,000 trials over ~10,000 images per subject (most shown 3 times).
const IMAGES = Math.ceil((SESSIONS * TRIALS) / 2.99);
// The ROIs keep NSD's sizes in volumes larger than this box (as Case D).
const BOX: [number, number, number] = [30, 25, 20];
const ROI_BOX = BOX.every((b, d) => b + 2 <= VOLUME[d]) ? BOX : undefined;
const cacheRoot = path.resolve(env.BENCH_CACHE ?? 'data/bench-cache');
const key = `case-e-s${SESSIONS}-v${VOLUME.join('x')}-w${WIDTHS.join('.')}`;
const treeDir = path.join(cacheRoot, key);
const round = (x: number, d = 2) => Number(x.toFixed(d));
const ROI_LABELS = {
  'prf-visualrois': ['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4'],
  'floc-faces': ['OFA', 'FFA-1', 'FFA-2', 'mTL-faces', 'aTL-faces'],
  streams: ['early', 'midventral', 'midlateral', 'midparietal', 'ventral', 'lateral', 'parietal'],
};

interface Tree {
  seconds: number;
  manifestPath: string;
  layers: { name: string; activations: string; stimulusIds: string }[];
}

/** Child process (BENCH_E_WRITE_TREE=1): write the NSD tree with the four layers, and its marker. */
async function writeTree(marker: string): Promise<void> {
  rmSync(treeDir, { recursive: true, force: true });
  const t0 = performance.now();
  const syn = await writeCaseTree(treeDir, ({ session }) =>
    console.error(`case E: tree session ${session}/${SESSIONS} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
  );
  const tree: Tree = { seconds: (performance.now() - t0) / 1000, manifestPath: syn.manifestPath, layers: syn.layers };
  writeFileSync(marker, JSON.stringify(tree));
}

function writeCaseTree(dir: string, onSession: (info: { session: number; files: string[] }) => void) {
  return writeSyntheticNsd(dir, {
    subjects: 1,
    sessions: SESSIONS,
    volumeShape: VOLUME,
    images: IMAGES,
    sharedImages: Math.min(1000, IMAGES),
    layers: WIDTHS.map((units, i) => ({ name: `layer${i + 1}`, units })),
    formats: ['hdf5'],
    extraAtlases: true,
    seed: 13,
    roiBox: ROI_BOX,
    onSession,
  });
}

/**
 * BENCH_E_VERIFY_TREE=1: write the tree again with the current writer beside the cached one (which must exist),
 * compare every file with the cached copy (HDF5 from 4 KiB on; each session as soon as it is written, then delete it: two full trees
 * rarely fit on one disk), and print the writer's seconds. Checks that a cache written by an earlier version of
 * the writer is still the tree this version writes, and times the writer.
 */
async function verifyTree(): Promise<void> {
  if (!existsSync(path.join(treeDir, 'complete.json'))) throw new Error(`no cached tree at ${treeDir}`);
  const fresh = `${treeDir}.verify`;
  rmSync(fresh, { recursive: true, force: true });
  const same = (f: string) => {
    const rel = path.relative(fresh, f);
    // throws when they differ; HDF5 files carry their objects' modification times (and checksums over them) in
    // the first bytes, so those are compared from 4 KiB on (the chunks of betas lie beyond)
    const skip = f.endsWith('.hdf5') ? ['--ignore-initial=4096'] : [];
    // (a shorter file is a difference too: cmp stops at its end with status 1)
    execFileSync('cmp', ['--quiet', ...skip, f, path.join(treeDir, rel)]);
  };
  const t0 = performance.now();
  let compared = 0;
  const syn = await writeCaseTree(fresh, ({ session, files }) => {
    for (const f of files) {
      same(f);
      rmSync(f);
      compared++;
    }
    console.error(
      `case E verify: session ${session}/${SESSIONS} identical (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const f of syn.files) if (existsSync(f)) same(f), compared++;
  rmSync(fresh, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      case: 'E-tree',
      sizes: { sessions: SESSIONS, volume: VOLUME, images: IMAGES, widths: WIDTHS },
      writerSeconds: round(seconds),
      filesIdenticalToCache: compared,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

function ensureTree(): Tree {
  const marker = path.join(treeDir, 'complete.json');
  if (!existsSync(marker)) {
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...env, BENCH_E_WRITE_TREE: '1' },
      stdio: 'inherit',
    });
  }
  return JSON.parse(readFileSync(marker, 'utf8')) as Tree;
}

async function until<T>(poll: () => Promise<T>, done: (x: T) => boolean): Promise<T> {
  for (;;) {
    // a reset connection under heavy load is not the job's failure: poll again
    const x = await poll().catch(() => null);
    if (x !== null && done(x)) return x;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Register the layers, train one SAE per layer through the API (all queued at once), and time the training. */
async function registerAndTrain(api: ApiClient, tree: Tree) {
  const ds = await api.post('/v1/datasets', { name: 'case-e', root: treeDir, manifestPath: tree.manifestPath });
  const model = await api.post('/v1/models', { name: 'resnet50-like' });
  const layerIds: string[] = [];
  for (const l of tree.layers) {
    const body = { name: l.name, activations: { path: l.activations }, stimulusIds: { path: l.stimulusIds } };
    layerIds.push((await api.post(`/v1/models/${model.id}/layers`, body)).id);
  }
  const t0 = performance.now();
  const saes = [];
  for (const id of layerIds)
    saes.push(await api.post(`/v1/layers/${id}/saes`, { k: K, expansion: EXPANSION, epochs: EPOCHS }));
  // One worker runs the trainings one after another: each took from the later of its creation and the previous
  // one's end to its own end.
  const perSae: Record<string, number> = {};
  let previousEnd = 0;
  for (const [i, s] of saes.entries()) {
    const job = await until(
      () => api.get(`/v1/jobs/${s.jobId}`),
      (j) => j.state === 'completed' || j.state === 'failed',
    );
    if (job.state !== 'completed') throw new Error(`SAE training failed: ${JSON.stringify(job.error ?? job)}`);
    const end = Date.parse(job.finishedAt);
    perSae[`layer${i + 1}`] = round((end - Math.max(Date.parse(job.createdAt), previousEnd)) / 1000);
    previousEnd = end;
  }
  return { datasetId: ds.id as string, layerIds, saeSeconds: round((performance.now() - t0) / 1000), perSae };
}

/**
 * Per subject x layer: its wall, where the time outside the fits went (the compute thread's copies and start, the
 * loading and encoding before it, the save after it), and per representation its stages (from the stored runs'
 * timings; preprocess is mostly each fold's targets, fitOther the part of the fit no stage times, e.g. scoring).
 */
// biome-ignore lint/suspicious/noExplicitAny: rows of the service's own database, read for timings only
function unitTimings(runs: any[], layerIds: string[]) {
  const units: Record<string, unknown> = {};
  for (const layerId of new Set(runs.map((r) => r.layerId))) {
    const unit = runs.filter((r) => r.layerId === layerId);
    const stages: Record<string, Record<string, number>> = {};
    let fits = 0;
    for (const r of unit) {
      const t = r.timings as Record<string, number>;
      const decompositions = t.gram + t.eigh + t.basis;
      fits += t.fit ?? 0;
      stages[r.representation] = {
        load: round(t.load),
        encodeAndPrepare: round(t.prepare),
        preprocess: round(t.preprocess ?? 0),
        decompositions: round(decompositions),
        alphaSearch: round(t.alphaSearch),
        predict: round(t.predict),
        fitOther: round((t.fit ?? 0) - (t.preprocess ?? 0) - decompositions - t.alphaSearch - t.predict),
        pairedStatistics: round(t.pairedStatistics ?? 0),
      };
    }
    const t = unit[0].timings as Record<string, number>;
    const wall = Math.max(...unit.map((r) => (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000));
    const outside = {
      threadOverhead: round(t.computeThread - fits - t.pairedStatistics),
      beforeThread: round(t.total - t.computeThread),
      saveAndQueue: round(wall - t.total),
    };
    const i = layerIds.indexOf(layerId);
    units[`layer${i + 1} (${WIDTHS[i]} units)`] = { wallSeconds: round(wall), outside, stages };
  }
  return units;
}

async function main(): Promise<void> {
  const tree = ensureTree();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-e-'));
  chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as another user
  const { DATABASE_URL: _unused, ...rest } = env; // always a fresh embedded database
  const config = loadConfig({
    ...rest,
    ALIGN_DATA_DIR: dataDir,
    ALIGN_DATA_ROOTS: cacheRoot,
    ALIGN_ADMIN_KEY: 'bench-case-e-key-0123456789',
    ALIGN_WORKERS: '1',
    PORT: String(await freePort()),
    ALIGN_PG_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  const service = await startService(config);
  try {
    const api = new ApiClient(service.url, config.adminKey);
    const reg = await registerAndTrain(api, tree);
    const rois = [
      ...Object.entries(ROI_LABELS).flatMap(([a, ls]) => ls.map((l) => `${a}/${l}`)),
      { name: 'FFA', members: ['floc-faces/FFA-1', 'floc-faces/FFA-2'] },
    ];
    const t0 = performance.now();
    const created = await api.post('/v1/studies', {
      datasetId: reg.datasetId,
      subjects: ['subj01'],
      layerIds: reg.layerIds,
      representations: ['neurons', 'sae', 'random-sae'],
      rois,
      folds: { k: 5, seed: 0 },
      statistics: { resamples: 1000, permutations: 9999, seed: 0 },
    });
    const study = await until(
      () => api.get(`/v1/studies/${created.id}`),
      (s) => !s.cells.some((c: { status: string }) => c.status === 'queued' || c.status === 'running'),
    );
    const studySeconds = (performance.now() - t0) / 1000;
    if (study.state !== 'succeeded') throw new Error(`study ${study.state}`);
    const runs = await service.db.prisma.run.findMany({ where: { studyId: created.id } });
    const line = {
      case: 'E',
      sizes: { sessions: SESSIONS, volume: VOLUME, images: IMAGES, widths: WIDTHS, k: K, expansion: EXPANSION },
      epochs: EPOCHS,
      rois: rois.length,
      treeSeconds: round(tree.seconds),
      saeTrainingSeconds: reg.saeSeconds,
      saeTrainingPerLayer: reg.perSae,
      studyWallSeconds: round(studySeconds),
      units: unitTimings(runs, reg.layerIds),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      fourSubjectsHoursExtrapolated: round((4 * (studySeconds + reg.saeSeconds)) / 3600, 2),
    };
    console.log(JSON.stringify(line));
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (env.BENCH_E_WRITE_TREE === '1') await writeTree(path.join(treeDir, 'complete.json'));
else if (env.BENCH_E_VERIFY_TREE === '1') await verifyTree();
else await main();
