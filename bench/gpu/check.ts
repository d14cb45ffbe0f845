/**
 * GPU device check (bench/gpu/README.md): Cases A, B and C of the ridge bench and an SAE encoding
 * (9,841 x 2,048 -> 8,192 latents, k = 32), each on the GPU path and on the CPU path of the same process, on
 * the same generated data. One JSON line per case: per-stage seconds of both paths, their ratio, every
 * fold's alpha on both and the largest per-target score difference.
 *
 * --dry-run: small sizes (BENCH_SCALE, default 0.03), and the "device" side is the GPU fold's orchestration
 * on host BLAS (engine 'host'): it checks the script, the bundle and the comparison on machines without a GPU.
 * Case E (issue #24): the ridge core of one subject's study unit at full NSD size, grouped as a study fits it:
 * per layer width (ResNet-50 stages with centre-position sampling: 256, 512, 1,024, 2,048 units) the neurons
 * and SAE latents (expansion 4, k 32) over 26 ROIs in one fitRidgeCvGroups call per representation, so each fold
 * is one device call for all ROIs. One line per (width, representation): device wall and stages, the same
 * fit with one device call per ROI (groupSearch 'per-group') for the widest layer, and the CPU path where asked.
 * Environment: BENCH_CASES=A,B,C,SAE,E (default all)  BENCH_SCALE  GPU_CHECK_SKIP_CPU=B (skip the CPU side of
 * these cases when time is short; their line then has cpu: null; Case E's CPU side runs only with
 * GPU_CHECK_CPU_E=1: it takes hours at full size on a few cores).
 */
import { initBackend } from '../../src/compute/backend';
import { kFoldAssignment } from '../../src/compute/folds';
import { gemmImpl } from '../../src/compute/backend';
import { linalgInfo, matmul, setCudaEnabled } from '../../src/compute/linalg/index';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, fitRidgeCvGroups, type RidgeCvResult, type TargetGroup } from '../../src/compute/ridge/index';
import { DEFAULT_PREPROCESSING, preprocessRows } from '../../src/sae/index';
import { TopKRelu } from '../../src/sae/forward';
import { initTopKSaeWeights } from '../../src/sae/model';
import { denseUnits, ridgeCases, sparseLatents, targets } from '../ridge-data';

const dry = process.argv.includes('--dry-run');
const scale = Number(process.env.BENCH_SCALE ?? (dry ? '0.03' : '1'));
const wanted = (process.env.BENCH_CASES ?? 'A,B,C,SAE,E').split(',').map((s) => s.trim().toUpperCase());
const skipCpu = new Set((process.env.GPU_CHECK_SKIP_CPU ?? '').split(',').map((s) => s.trim().toUpperCase()));
const round = (x: number, d = 4) => Number(x.toFixed(d));
const now = () => performance.now() / 1000;

function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

function stageSeconds(r: RidgeCvResult): Record<string, number> {
  return Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, round(v, 3)]));
}

/** Largest |score difference| over every fold and target (NaN on one side only counts as Infinity). */
function maxScoreDiff(a: RidgeCvResult, b: RidgeCvResult): number {
  let m = 0;
  a.folds.forEach((fa, f) => {
    const fb = b.folds[f];
    for (let t = 0; t < fa.scores.length; t++) {
      const x = fa.scores[t];
      const y = fb.scores[t];
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      m = Math.max(m, Number.isFinite(x - y) ? Math.abs(x - y) : Infinity);
    }
  });
  return m;
}

async function ridgeCase(c: ReturnType<typeof ridgeCases>[number], engine: 'cuda' | 'host'): Promise<void> {
  const rng = new Rng(1000 + c.name.charCodeAt(0));
  let t = now();
  const X = c.k ? sparseLatents(rng, c.n, c.p, c.k) : denseUnits(rng, c.n, c.p);
  const Y = targets(rng, X, c.v);
  const assignment = kFoldAssignment(c.n, 5, 0);
  const generate = now() - t;
  const line: Record<string, unknown> = {
    case: c.name,
    dryRun: dry,
    n: c.n,
    units: c.p,
    voxels: c.v,
    nonZerosPerRow: c.k ?? null,
    generateSeconds: round(generate, 2),
  };
  t = now();
  const dev = fitRidgeCv(X, Y, { preset: 'paper', assignment, engine });
  const devTotal = now() - t;
  line.device = {
    engine: dev.info.engine,
    form: dev.folds[0].form,
    rank: dev.folds.map((f) => f.rank),
    seconds: stageSeconds(dev),
    wall: round(devTotal, 3),
    foldAlphas: dev.folds.map((f) => f.alpha),
    foldScores: dev.folds.map((f) => round(f.meanScore, 6)),
  };
  if (skipCpu.has(c.name)) {
    line.cpu = null;
  } else {
    const prev = setCudaEnabled(false);
    t = now();
    const cpu = fitRidgeCv(X, Y, { preset: 'paper', assignment, engine: 'ts' });
    const cpuTotal = now() - t;
    setCudaEnabled(prev);
    line.cpu = {
      engine: cpu.info.engine,
      precision: cpu.info.precision,
      form: cpu.folds[0].form,
      seconds: stageSeconds(cpu),
      wall: round(cpuTotal, 3),
      foldAlphas: cpu.folds.map((f) => f.alpha),
      foldScores: cpu.folds.map((f) => round(f.meanScore, 6)),
    };
    line.sameAlphas = cpu.folds.every((f, i) => f.alpha === dev.folds[i].alpha);
    line.maxAbsScoreDiff = maxScoreDiff(cpu, dev);
    line.ridgeCoreSeconds = {
      device: round(dev.timings.total - dev.timings.preprocess, 3),
      cpu: round(cpu.timings.total - cpu.timings.preprocess, 3),
    };
    line.cpuOverDevice = round(cpuTotal / devTotal, 2);
  }
  emit(line);
}

/** Pre-activations X W_enc + b by matmul (cuBLAS when the GPU path is on), then the library's TopK + ReLU. */
function encode(xp: Float32Array, n: number, d: number, w: ReturnType<typeof initTopKSaeWeights>, k: number) {
  const m = w.bEnc.length;
  let t = now();
  const pre = matmul({ rows: n, cols: d, data: xp }, w.wEnc).data as Float32Array;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) pre[i * m + j] += w.bEnc[j];
  const gemm = now() - t;
  t = now();
  const sel = new TopKRelu(n, m, k);
  sel.run(pre, n);
  return { pre, sel, seconds: { gemm: round(gemm, 3), topk: round(now() - t, 3) } };
}

function saeCase(): void {
  const n = Math.max(16, Math.round(9841 * scale));
  const d = Math.max(16, Math.round(2048 * scale));
  const m = Math.max(32, Math.round(8192 * scale));
  const k = Math.min(32, m);
  const rng = new Rng(2024);
  const X = denseUnits(rng, n, d);
  const w = initTopKSaeWeights(d, m, rng);
  for (let j = 0; j < m; j++) w.bEnc[j] = 0.01 * rng.normal();
  const xp = preprocessRows(X, DEFAULT_PREPROCESSING);
  const dev = encode(xp, n, d, w, k);
  const line: Record<string, unknown> = {
    case: 'SAE',
    dryRun: dry,
    n,
    inputDim: d,
    latents: m,
    k,
    gemmOn: gemmImpl(n * d * m) === 'cuda' ? 'cuda' : 'cpu',
    device: dev.seconds,
  };
  if (skipCpu.has('SAE')) line.cpu = null;
  else {
    const prev = setCudaEnabled(false);
    const cpu = encode(xp, n, d, w, k);
    setCudaEnabled(prev);
    let maxPre = 0;
    for (let i = 0; i < cpu.pre.length; i++) maxPre = Math.max(maxPre, Math.abs(cpu.pre[i] - dev.pre[i]));
    let sameRows = 0;
    for (let r = 0; r < n; r++) {
      const c = cpu.sel.count[r];
      let same = c === dev.sel.count[r];
      for (let i = 0; same && i < c; i++) same = cpu.sel.idx[r * k + i] === dev.sel.idx[r * k + i];
      if (same) sameRows++;
    }
    line.cpu = cpu.seconds;
    line.maxAbsPreActivationDiff = maxPre;
    line.rowsWithSameLatents = sameRows / n;
    line.cpuOverDevice = round(cpu.seconds.gemm / Math.max(dev.seconds.gemm, 1e-9), 2);
  }
  emit(line);
}

/**
 * Case E's ROIs: V1v, V2v, V3v, hV4, FFA, ventral (sizes close to NSD subject 1's, func1pt8mm) and the 20 Case D
 * ROIs (38,000 voxels in all at NSD size); widths scaled with BENCH_SCALE.
 */
function caseERois(): TargetGroup[] {
  const sizes = [1300, 1200, 1000, 700, 800, 7000, ...Array.from({ length: 20 }, () => 1900)];
  let c0 = 0;
  return sizes.map((v, g) => {
    const w = Math.max(4, Math.round(v * scale));
    const group = { name: `roi${g}`, columns: Int32Array.from({ length: w }, (_, j) => c0 + j) };
    c0 += w;
    return group;
  });
}

function caseE(engine: 'cuda' | 'host'): void {
  const n = Math.max(60, Math.round(9841 * scale));
  const rois = caseERois();
  const v = rois.reduce((s, r) => s + r.columns.length, 0);
  const assignment = kFoldAssignment(n, 5, 0);
  const widths = [256, 512, 1024, 2048].map((p) => Math.max(8, Math.round(p * scale)));
  for (const p of widths) {
    for (const representation of ['neurons', 'sae'] as const) {
      const rng = new Rng(5000 + p + (representation === 'sae' ? 1 : 0));
      const X = representation === 'sae' ? sparseLatents(rng, n, 4 * p, Math.min(32, 4 * p)) : denseUnits(rng, n, p);
      const Y = targets(rng, X, v);
      const line: Record<string, unknown> = {
        case: 'E',
        dryRun: dry,
        n,
        units: X.cols,
        representation,
        rois: rois.length,
        voxels: v,
      };
      let t = now();
      const dev = fitRidgeCvGroups(X, Y, rois, { preset: 'paper', assignment, engine });
      line.device = { wall: round(now() - t, 3), decompositions: dev.decompositions, seconds: dev.timings };
      if (p === widths[widths.length - 1]) {
        t = now();
        const per = fitRidgeCvGroups(X, Y, rois, { preset: 'paper', assignment, engine, groupSearch: 'per-group' });
        line.devicePerRoi = { wall: round(now() - t, 3), decompositions: per.decompositions };
        line.sharedOverPerRoi = round(
          (line.devicePerRoi as { wall: number }).wall / (line.device as { wall: number }).wall,
          2,
        );
        line.sameAlphasAsPerRoi = dev.groups.every((g, i) =>
          g.folds.every((f, k) => f.alpha === per.groups[i].folds[k].alpha),
        );
      }
      if (dry || process.env.GPU_CHECK_CPU_E === '1') {
        const prev = setCudaEnabled(false);
        t = now();
        const cpu = fitRidgeCvGroups(X, Y, rois, { preset: 'paper', assignment, engine: 'ts' });
        setCudaEnabled(prev);
        line.cpu = { wall: round(now() - t, 3), precision: cpu.groups[0].info.precision };
        line.sameAlphas = dev.groups.every((g, i) => g.folds.every((f, k) => f.alpha === cpu.groups[i].folds[k].alpha));
        line.maxAbsScoreDiff = Math.max(...dev.groups.map((g, i) => maxScoreDiff(cpu.groups[i], g)));
      }
      emit(line);
    }
  }
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const info = linalgInfo();
  const engine = dry ? 'host' : 'cuda';
  emit({
    case: 'info',
    dryRun: dry,
    scale,
    node: process.version,
    backend: backend.name,
    native: info.native,
    blas: info.blas,
    threads: info.threads,
    cuda: info.cuda,
  });
  if (!dry && !info.cuda.available) {
    emit({ case: 'error', error: `no GPU path: ${info.cuda.reason}` });
    process.exitCode = 2;
    return;
  }
  for (const c of ridgeCases(scale).filter((x) => wanted.includes(x.name))) await ridgeCase(c, engine);
  if (wanted.includes('SAE')) saeCase();
  if (wanted.includes('E')) caseE(engine);
}

main().catch((err) => {
  emit({ case: 'error', error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
