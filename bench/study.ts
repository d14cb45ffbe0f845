/**
 * Benchmark Case D (issue 11; not part of the tests): one study end to end through the HTTP API on the
 * synthetic writer. One subject, NSD's repetition structure (750 trials per session, each image up to 3
 * times), ROIs of prf-visualrois + floc-faces + streams (19 labels) and the union FFA = FFA-1 u FFA-2, one
 * layer as dense neurons and as TopK SAE latents (an imported random SAE, k per row). Prints one JSON line:
 * seconds per stage of each cell (load, encode, decompositions, alpha search, predict, save) and peak RSS;
 * beside it the same fits through the per-ROI path (one decomposition per ROI and fold, in this process on
 * the same matrices) and through the paper's pipeline (bench/anchor_study.py: h5py loading + scikit-learn
 * RidgeCV per ROI, float64), when /usr/bin/python3 has h5py and scikit-learn.
 *
 * Full size (NSD): BENCH_D_SESSIONS=40 BENCH_D_VOLUME=81x104x83 BENCH_D_UNITS=2048 BENCH_D_LATENTS=8192
 * (with BENCH_D_PERROI=0 BENCH_D_ANCHOR=0: those paths take hours at that size; run them at a smaller size).
 * Defaults are a reduced size that finishes in minutes on 2 cores (see the printed "sizes").
 * The NSD tree is generated once, in a child process (so that peakRssMiB is the study's alone), into
 * BENCH_CACHE (default data/bench-cache) and reused by later runs.
 * ROIs: in volumes larger than the ROI box (BENCH_D_ROIBOX, default 30x25x20 voxels) every label lies in that
 * centred box, so the ROIs keep NSD's sizes (union 15,000 voxels) whatever the volume; smaller volumes spread
 * the labels over the whole cortex.
 * Environment: BENCH_CASES (runs when unset or listing D), BENCH_D_SESSIONS, BENCH_D_VOLUME, BENCH_D_UNITS, BENCH_D_LATENTS, BENCH_D_K (32),
 *              BENCH_D_REPEATS (folds.repeats of the study, default 1),
 *              BENCH_D_ROIBOX, BENCH_D_PERROI=0 / BENCH_D_ANCHOR=0 to skip those paths (BENCH_D_PERROI=sae: the
 *              per-ROI path for the SAE latents only), BENCH_PYTHON.
 */
// zod's OpenAPI extension must load before any schema module (the service's routes use it).
import '../src/http/openapi-registry';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../src/io/npy';
import { csrToDense, isCsr, takeRows, type DenseMatrix } from '../src/compute/matrix';
import { Rng } from '../src/compute/random';
import { loadConfig } from '../src/config';
import { ridgeRois } from '../src/threads/compute-tasks';
import { loadLayerMatrix, loadRoiTargets, representationMatrix } from '../src/services/inputs';
import { writeSyntheticNsd } from '../src/nsd/synthetic';
import { saveSae } from '../src/sae/io';
import { DEFAULT_PREPROCESSING, initTopKSaeWeights } from '../src/sae/model';
import { startService } from '../src/server';
import { ApiClient } from '../src/cli/api-client';
import type { ResolvedRoi } from '../src/services/rois';
import { freePort } from '../test/helpers/ports';

const env = process.env;
const SESSIONS = Number(env.BENCH_D_SESSIONS ?? '8');
const VOLUME = (env.BENCH_D_VOLUME ?? '24x24x14').split('x').map(Number) as [number, number, number];
const UNITS = Number(env.BENCH_D_UNITS ?? '512');
const LATENTS = Number(env.BENCH_D_LATENTS ?? '2048');
const K = Number(env.BENCH_D_K ?? '32');
// folds.repeats of the study (repeated 5-fold; the per-ROI and anchor paths fit one repeat).
const REPEATS = Number(env.BENCH_D_REPEATS ?? '1');
const PYTHON = env.BENCH_PYTHON ?? '/usr/bin/python3';
const TRIALS = 750;
// NSD: 30,000 trials over ~10,000 images per subject (most shown 3 times).
const IMAGES = Math.ceil((SESSIONS * TRIALS) / 2.99);
const BOX = (env.BENCH_D_ROIBOX ?? '30x25x20').split('x').map(Number) as [number, number, number];
const ROI_BOX = BOX.every((b, d) => b + 2 <= VOLUME[d]) ? BOX : undefined;
const here = path.dirname(fileURLToPath(import.meta.url));
const cacheRoot = path.resolve(env.BENCH_CACHE ?? 'data/bench-cache');
const key = `case-d-s${SESSIONS}-v${VOLUME.join('x')}-u${UNITS}${ROI_BOX ? `-box${ROI_BOX.join('x')}` : ''}`;
const treeDir = path.join(cacheRoot, key);
const round = (x: number, d = 2) => Number(x.toFixed(d));

/** Child process (BENCH_D_WRITE_TREE=1): write the NSD tree and its marker. */
async function writeTree(marker: string) {
  rmSync(treeDir, { recursive: true, force: true });
  const t0 = performance.now();
  const syn = await writeSyntheticNsd(treeDir, {
    subjects: 1,
    sessions: SESSIONS,
    volumeShape: VOLUME,
    images: IMAGES,
    sharedImages: Math.min(1000, IMAGES),
    layers: [{ name: 'bench.layer', units: UNITS }],
    formats: ['hdf5'],
    extraAtlases: true,
    seed: 11,
    roiBox: ROI_BOX,
    onSession: ({ session }) =>
      console.error(`case D: tree session ${session}/${SESSIONS} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
  });
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  writeFileSync(
    marker,
    JSON.stringify({
      seconds: (performance.now() - t0) / 1000,
      peakRssMiB,
      manifestPath: syn.manifestPath,
      layer: syn.layers[0],
    }),
  );
}

async function ensureTree() {
  const marker = path.join(treeDir, 'complete.json');
  if (!existsSync(marker)) {
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...env, BENCH_D_WRITE_TREE: '1' },
      stdio: 'inherit',
    });
  }
  const sae = path.join(treeDir, `sae-${LATENTS}-k${K}.safetensors`);
  if (!existsSync(sae)) {
    const rng = new Rng(5);
    await saveSae(sae, {
      inputDim: UNITS,
      latentDim: LATENTS,
      k: K,
      preprocessing: { ...DEFAULT_PREPROCESSING },
      weights: initTopKSaeWeights(UNITS, LATENTS, rng),
      metadata: {},
    });
  }
  const { readFileSync } = await import('node:fs');
  return {
    ...(JSON.parse(readFileSync(marker, 'utf8')) as {
      seconds: number;
      peakRssMiB?: number;
      manifestPath: string;
      layer: { activations: string; stimulusIds: string };
    }),
    sae,
  };
}

async function main() {
  const tree = await ensureTree();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-d-'));
  chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as another user
  const { DATABASE_URL: _unused, ...rest } = env; // always a fresh embedded database
  const config = loadConfig({
    ...rest,
    ALIGN_DATA_DIR: dataDir,
    ALIGN_DATA_ROOTS: cacheRoot,
    ALIGN_ADMIN_KEY: 'bench-case-d-key-0123456789',
    ALIGN_WORKERS: '1',
    PORT: String(await freePort()),
    ALIGN_PG_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  const service = await startService(config);
  try {
    const api = new ApiClient(service.url, config.adminKey);
    const ds = await api.post('/v1/datasets', {
      name: 'case-d',
      root: path.join(treeDir),
      manifestPath: tree.manifestPath,
    });
    const model = await api.post('/v1/models', { name: 'bench-net' });
    const layer = await api.post(`/v1/models/${model.id}/layers`, {
      name: 'bench.layer',
      activations: { path: tree.layer.activations },
      stimulusIds: { path: tree.layer.stimulusIds },
    });
    const sae = (await api.request('POST', `/v1/layers/${layer.id}/saes`, { weights: { path: tree.sae }, k: K })).body;
    const labels = {
      'prf-visualrois': ['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4'],
      'floc-faces': ['OFA', 'FFA-1', 'FFA-2', 'mTL-faces', 'aTL-faces'],
      streams: ['early', 'midventral', 'midlateral', 'midparietal', 'ventral', 'lateral', 'parietal'],
    };
    const rois = [
      ...Object.entries(labels).flatMap(([a, ls]) => ls.map((l) => `${a}/${l}`)),
      { name: 'FFA', members: ['floc-faces/FFA-1', 'floc-faces/FFA-2'] },
    ];
    const t0 = performance.now();
    const created = await api.post('/v1/studies', {
      datasetId: ds.id,
      subjects: ['subj01'],
      layerIds: [layer.id],
      representations: ['neurons', { saeId: sae.id }],
      rois,
      folds: { k: 5, seed: 0, ...(REPEATS > 1 ? { repeats: REPEATS } : {}) },
    });
    let study = created;
    while (study.cells.some((c: { status: string }) => c.status === 'queued' || c.status === 'running')) {
      await new Promise((r) => setTimeout(r, 1000));
      // a reset connection under heavy load is not the study's failure: poll again
      study = await api.get(`/v1/studies/${created.id}`).catch(() => study);
    }
    const wall = (performance.now() - t0) / 1000;
    if (study.state !== 'succeeded')
      throw new Error(`study ${study.state}: ${JSON.stringify(study.cells.map((c: { error: string }) => c.error))}`);
    const runs = await service.db.prisma.run.findMany({ where: { studyId: created.id } });
    // One job per (subject, layer) fits every representation of the layer (services/study-units.ts): per representation its
    // own stages; per unit the paired statistics, the rest (compute-thread transfers, packaging), save and wall.
    const stages: Record<string, Record<string, number>> = {};
    const units: Record<string, Record<string, number>> = {};
    const fitOf = (t: Record<string, number>) => t.gram + t.eigh + t.basis + t.alphaSearch + t.predict;
    for (const r of runs) {
      const t = r.timings as Record<string, number>;
      stages[r.representation] = {
        load: round(t.load),
        encodeAndPrepare: round(t.prepare),
        decompositions: round(t.gram + t.eigh + t.basis),
        alphaSearch: round(t.alphaSearch),
        predict: round(t.predict),
        nDecompositions: t.decompositions,
      };
    }
    for (const key of new Set(runs.map((r) => `${r.subject}/${r.layerId}`))) {
      const unit = runs.filter((r) => `${r.subject}/${r.layerId}` === key);
      const ts = unit.map((r) => r.timings as Record<string, number>);
      const t = ts[0];
      const wallSeconds = Math.max(...unit.map((r) => (r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000));
      const computed = t.load + ts.reduce((sum, x) => sum + x.prepare + fitOf(x), 0) + (t.pairedStatistics ?? 0);
      units[key] = {
        representations: unit.length,
        pairedStatistics: round(t.pairedStatistics ?? 0),
        // to and from the compute thread, per-ROI packaging
        overhead: round(Math.max(0, t.total - computed)),
        save: round(Math.max(0, wallSeconds - t.total)),
        total: round(wallSeconds),
      };
    }
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    const union = study.results.find((r: { roi: string }) => r.roi === 'FFA');
    // Targets fitted per representation: the ROIs' sizes summed (overlapping ROIs count each time).
    const roiVoxelsSum = (study.results as { representation: string; nVoxels: number }[])
      .filter((r) => r.representation === 'neurons')
      .reduce((t, r) => t + r.nVoxels, 0);
    const line: Record<string, unknown> = {
      case: 'D',
      sizes: {
        sessions: SESSIONS,
        trialsPerSession: TRIALS,
        volume: VOLUME,
        images: Object.keys((await api.get(`/v1/runs/${runs[0].id}/folds`)).assignment).length,
        units: UNITS,
        latents: LATENTS,
        k: K,
        repeats: REPEATS,
        rois: rois.length,
        roiBox: ROI_BOX ?? null,
        unionVoxels: null as number | null,
        ffaVoxels: union?.nVoxels ?? null,
        roiVoxelsSum,
      },
      treeSeconds: round(tree.seconds),
      treePeakRssMiB: tree.peakRssMiB ?? null,
      studyWallSeconds: round(wall),
      stages,
      units,
      peakRssMiB,
    };

    console.error(`case D: study done ${JSON.stringify(line)}`); // partial result, in case a later path is cut short
    // The per-ROI path and the paper's pipeline on the same matrices.
    // BENCH_D_PERROI: 0 (skip), a representation ('sae' or 'neurons': that one only), anything else: both
    const perRoiFor = (rep: string) =>
      env.BENCH_D_PERROI !== '0' &&
      (env.BENCH_D_PERROI !== 'sae' && env.BENCH_D_PERROI !== 'neurons' ? true : env.BENCH_D_PERROI === rep);
    const runAnchor =
      env.BENCH_D_ANCHOR !== '0' &&
      spawnSync(PYTHON, ['-c', 'import sklearn, h5py, nibabel'], { stdio: 'ignore' }).status === 0;
    const resolved = study.inputs.rois as ResolvedRoi[];
    const targets = await loadRoiTargets(service.db.prisma, config, {
      datasetId: ds.id,
      subject: 'subj01',
      rois: resolved,
    });
    (line.sizes as { unionVoxels: number }).unionVoxels = targets.voxelIndices.length;
    const layerRow = await service.db.prisma.layer.findUniqueOrThrow({ where: { id: layer.id } });
    const { ids, X: acts } = await loadLayerMatrix(layerRow, config);
    const perRoi: Record<string, unknown> = {};
    const anchorIn = mkdtempSync(path.join(tmpdir(), 'bench-d-anchor-'));
    // Every HTTP read before the per-ROI fits: they run on this (the service's) event loop for minutes, after
    // which the client's pooled keep-alive connection is gone (ECONNRESET).
    const foldsOf = new Map<string, { assignment: Record<string, number> }>();
    for (const r of runs) foldsOf.set(r.id, await api.get(`/v1/runs/${r.id}/folds`));
    for (const r of runs) {
      const folds = foldsOf.get(r.id)!;
      const nsdIds: number[] = Object.keys(folds.assignment)
        .map(Number)
        .sort((a, b) => a - b);
      const assignment = Int32Array.from(nsdIds, (id) => folds.assignment[String(id)]);
      const layerRowOf = new Map(Array.from(ids, (id, i) => [id, i]));
      const betaRowOf = new Map(Array.from(targets.nsdIds, (id, i) => [id, i]));
      const X0 = takeRows(
        acts,
        Int32Array.from(nsdIds, (id) => layerRowOf.get(id)!),
      ) as DenseMatrix<Float32Array>;
      const X = await representationMatrix(service.db.prisma, config, r.saeId, X0);
      const Y = takeRows(
        targets.betas,
        Int32Array.from(nsdIds, (id) => betaRowOf.get(id)!),
      ) as DenseMatrix<Float32Array>;
      if (perRoiFor(r.representation)) {
        const t = performance.now();
        const res = await ridgeRois(
          { X, Y, rois: targets.rois, preset: 'paper', alphas: study.inputs.alphas, assignment, perRoi: true },
          () => {},
        );
        const seconds = (performance.now() - t) / 1000;
        const mine = study.results.filter((x: { runId: string }) => x.runId === r.id);
        const maxDiff = Math.max(
          ...res.rois.map((x) => Math.abs(x.mean - mine.find((m: { roi: string }) => m.roi === x.name).value)),
        );
        const shared = stages[r.representation];
        console.error(`case D: per-ROI ${r.representation} ${seconds.toFixed(1)} s`);
        perRoi[r.representation] = {
          fitSeconds: round(seconds),
          nDecompositions: res.decompositions,
          sharedFitSeconds: round(shared.decompositions + shared.alphaSearch + shared.predict),
          speedup: round(seconds / (shared.decompositions + shared.alphaSearch + shared.predict)),
          maxAbsDiff: maxDiff,
        };
      }
      if (runAnchor) {
        const dir = path.join(anchorIn, r.representation);
        mkdirSync(dir, { recursive: true });
        const Xd = isCsr(X) ? csrToDense(X) : X;
        writeFileSync(path.join(dir, 'X.npy'), writeNpy(Xd.data as Float32Array, [Xd.rows, Xd.cols]));
        writeFileSync(path.join(dir, 'nsd_ids.npy'), writeNpy(Int32Array.from(nsdIds), [nsdIds.length]));
        writeFileSync(path.join(dir, 'assignment.npy'), writeNpy(assignment, [assignment.length]));
      }
    }
    line.perRoi = perRoi;
    if (runAnchor) {
      const spec = {
        root: treeDir,
        subject: 1,
        sessions: SESSIONS,
        trialsPerSession: TRIALS,
        rois: resolved,
        reps: runs.map((r) => r.representation),
      };
      writeFileSync(path.join(anchorIn, 'spec.json'), JSON.stringify(spec));
      const out = execFileSync(PYTHON, [path.join(here, 'anchor_study.py'), anchorIn], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const anchor = JSON.parse(out) as {
        loadSeconds: number;
        fits: Record<string, { seconds: number; means: Record<string, number> }>;
      };
      const maxDiff: Record<string, number> = {};
      for (const [rep, f] of Object.entries(anchor.fits)) {
        const run = runs.find((r) => r.representation === rep)!;
        maxDiff[rep] = Math.max(
          ...study.results
            .filter((x: { runId: string }) => x.runId === run.id)
            .map((x: { roi: string; value: number }) => Math.abs(x.value - f.means[x.roi])),
        );
      }
      line.paperPipeline = {
        loadSeconds: round(anchor.loadSeconds),
        fitSeconds: Object.fromEntries(Object.entries(anchor.fits).map(([k, v]) => [k, round(v.seconds)])),
        maxAbsDiff: maxDiff,
      };
      const totalService = Object.values(units).reduce((t, u) => t + u.total, 0);
      line.speedupOverPaperPipeline = round(
        (anchor.loadSeconds + Object.values(anchor.fits).reduce((t, f) => t + f.seconds, 0)) / totalService,
      );
    }
    rmSync(anchorIn, { recursive: true, force: true });
    // the study's peak stays in peakRssMiB; this one includes the comparison paths run in this process
    line.peakRssMiBWithComparisons = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify(line));
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// `npm run bench` runs every case; BENCH_CASES without D skips this one.
if (env.BENCH_D_WRITE_TREE === '1') await writeTree(path.join(treeDir, 'complete.json'));
else if (
  !env.BENCH_CASES ||
  env.BENCH_CASES.toUpperCase()
    .split(',')
    .map((c) => c.trim())
    .includes('D')
)
  await main();
