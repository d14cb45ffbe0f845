/**
 * Benchmark (not part of the tests): the memory estimate of a study unit (src/compute/memory-estimate.ts, the
 * check behind ALIGN_WORKER_MEMORY_MB) against the peak RSS measured when that unit runs. Each size runs Case D
 * (bench/study.ts: one subject, 20 ROIs, one layer as neurons and as TopK SAE latents, paired statistics, through
 * the HTTP API with one in-process worker) in its own child process, whose peak RSS (process.resourceUsage()
 * .maxRSS, taken when the study has finished) is the unit's with the service around it; the estimate is computed
 * from the sizes that child reports (images, units, latents, k, the ROIs' union and summed voxels). Prints one
 * line per size and a JSON summary; results in bench/results/memory.md.
 *
 * Sizes (BENCH_MEMORY_SIZES, comma-separated; default small,medium):
 *   small   4 sessions (1,004 images), 512 units, 2,048 latents, volume 34x29x24 (ROIs at NSD's sizes)
 *   medium  8 sessions (2,007 images), 1,024 units, 4,096 latents, same volume
 *   large  16 sessions (4,014 images), 2,048 units, 8,192 latents, same volume
 *   nsd    Case D at full NSD size: 40 sessions (10,034 images) of 81x104x83, 2,048 units, 8,192 latents
 *          (a 41 GB HDF5 tree written once, ~40 min on 2 cores, then ~15 min of study).
 * A size not run prints its estimate from RECORDED sizes (bench/results/case-d.md) when it has them.
 * Environment: BENCH_MEMORY_SIZES, BENCH_CACHE (the trees, default data/bench-cache).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateUnitMemory, toMiB, type UnitSizes } from '../src/compute/memory-estimate';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Size {
  sessions: number;
  volume: string;
  units: number;
  latents: number;
}

const SIZES: Record<string, Size> = {
  small: { sessions: 4, volume: '34x29x24', units: 512, latents: 2048 },
  medium: { sessions: 8, volume: '34x29x24', units: 1024, latents: 4096 },
  large: { sessions: 16, volume: '34x29x24', units: 2048, latents: 8192 },
  nsd: { sessions: 40, volume: '81x104x83', units: 2048, latents: 8192 },
};

/** What bench/study.ts reports of its sizes (the JSON line's "sizes"). */
interface StudySizes {
  images: number;
  units: number;
  latents: number;
  k: number;
  rois: number;
  unionVoxels: number;
  roiVoxelsSum: number;
}

/** Sizes recorded by earlier runs (bench/results/case-d.md), for the sizes not run here. */
const RECORDED: Record<string, { sizes: StudySizes; peakRssMiB: number; when: string }> = {
  nsd: {
    sizes: { images: 10034, units: 2048, latents: 8192, k: 32, rois: 20, unionVoxels: 15000, roiVoxelsSum: 38224 },
    peakRssMiB: 7388,
    when: 'bench/results/case-d.md, 2026-11-29',
  },
};

/** The unit's sizes as the estimate takes them (the synthetic layer covers exactly the subject's images). */
function unitSizes(s: StudySizes): UnitSizes {
  return {
    stimuli: s.images,
    layerRows: s.images,
    units: s.units,
    representations: [{ columns: s.units }, { columns: s.latents, k: s.k }],
    unionVoxels: s.unionVoxels,
    roiVoxels: s.roiVoxelsSum,
    rois: s.rois,
    folds: 5,
    alphas: 17,
    paired: true,
  };
}

/** Run Case D at one size in a child process; its JSON line. */
function runChild(size: Size): { sizes: StudySizes; peakRssMiB: number; studyWallSeconds: number } {
  const env = {
    ...process.env,
    BENCH_CASES: 'D',
    BENCH_D_PERROI: '0',
    BENCH_D_ANCHOR: '0',
    BENCH_D_SESSIONS: String(size.sessions),
    BENCH_D_VOLUME: size.volume,
    BENCH_D_UNITS: String(size.units),
    BENCH_D_LATENTS: String(size.latents),
  };
  const out = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'study.ts')], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench/study.ts exited with ${out.status}`);
  const line = out.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line);
}

const names = (process.env.BENCH_MEMORY_SIZES ?? 'small,medium').split(',').map((s) => s.trim());
const rows = [];
for (const name of Object.keys(SIZES)) {
  const run = names.includes(name);
  const r = run ? runChild(SIZES[name]) : RECORDED[name];
  if (!r) continue;
  const e = estimateUnitMemory(unitSizes(r.sizes));
  const row = {
    size: name,
    measured: run ? 'now' : (r as { when: string }).when,
    images: r.sizes.images,
    units: r.sizes.units,
    latents: r.sizes.latents,
    unionVoxels: r.sizes.unionVoxels,
    roiVoxels: r.sizes.roiVoxelsSum,
    estimateMiB: toMiB(e.total),
    terms: Object.fromEntries(Object.entries(e).map(([k, v]) => [k, toMiB(v)])),
    peakRssMiB: r.peakRssMiB,
    ratio: Number((toMiB(e.total) / r.peakRssMiB).toFixed(3)),
    ...('studyWallSeconds' in r ? { studyWallSeconds: r.studyWallSeconds } : {}),
  };
  console.error(
    `memory ${name}: estimate ${row.estimateMiB} MiB, measured ${row.peakRssMiB} MiB (${row.measured}), ratio ${row.ratio}`,
  );
  rows.push(row);
}
console.log(JSON.stringify({ bench: 'memory', rows }));
