/**
 * `npx tsx bench/toy.ts` (also the last step of `npm run bench`): the toy experiment (src/toy) at the paper's
 * settings by default (10,000 model steps, 2^23 samples, N = 8, 16, 32, ridge on), printing one JSON line: wall
 * and CPU (user + system, all threads) seconds, per N the wall seconds per stage (models, SAEs, ridge, other
 * metrics) inside its thread, the machine's load average before and after (a shared machine stretches wall
 * time by the share the scheduler gives this process), and the headline numbers. `baseline` is the last
 * measurement before the speed work (src/toy/README.md), for comparison. Narrow it with TOY_STEPS, TOY_SAMPLES,
 * TOY_HIDDEN (comma-separated), TOY_RIDGE=0, TOY_THREADS, TOY_REPLICATES (default 5; the baseline was one replicate).
 */
import { loadavg } from 'node:os';
import { linalgInfo } from '../src/compute/linalg/native';
import { runToySuperposition } from '../src/toy/experiment';

const env = (k: string) => process.env[k];
const options = {
  ...(env('TOY_STEPS') ? { modelSteps: Number(env('TOY_STEPS')) } : {}),
  ...(env('TOY_SAMPLES') ? { samples: Number(env('TOY_SAMPLES')) } : {}),
  ...(env('TOY_HIDDEN') ? { hiddenSizes: env('TOY_HIDDEN')!.split(',').map(Number) } : {}),
  ...(env('TOY_RIDGE') === '0' ? { ridge: false } : {}),
  ...(env('TOY_THREADS') ? { threads: Number(env('TOY_THREADS')) } : {}),
  ...(env('TOY_REPLICATES') ? { replicates: Number(env('TOY_REPLICATES')) } : {}),
};
const fullDefaults = Object.keys(options).every((k) => k === 'threads' || k === 'replicates');

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const round = (x: number) => Math.round(x * 10) / 10;
const load0 = loadavg()[0];
const t0 = performance.now();
const c0 = cpu();
const result = await runToySuperposition(options);
console.log(
  JSON.stringify({
    case: 'toy',
    steps: result.options.modelSteps,
    samples: result.options.samples,
    hidden: result.options.hiddenSizes,
    threads: result.options.threads,
    replicates: result.replicates.length,
    wallSeconds: round((performance.now() - t0) / 1000),
    cpuSeconds: round(cpu() - c0),
    loadAverage: { start: round(load0), end: round(loadavg()[0]) },
    linalg: { native: linalgInfo().native, blas: linalgInfo().blas },
    dataSeconds: round(result.dataSeconds),
    perN: result.results.map((r) => ({
      n: r.nHidden,
      seconds: round(r.seconds),
      stages: Object.fromEntries(Object.entries(r.stageSeconds).map(([k, v]) => [k, round(v)])),
      softNeurons: r.neurons.softMatching.mean,
      softSae: r.saeLatents.softMatching.mean,
      shared: r.overlap.shared,
    })),
    summary: result.summary.map((s) => ({
      n: s.nHidden,
      ...Object.fromEntries(
        Object.entries(s.statistics).map(([k, v]) => [
          k,
          { mean: v.mean, lower: v.lower, upper: v.upper, values: v.values },
        ]),
      ),
    })),
    ...(fullDefaults
      ? {
          baseline: {
            commit: '6765014',
            wallSeconds: 1175,
            cpuSeconds: 654,
            note: 'same full defaults, one replicate, one thread, before the native LOO loop and threads (src/toy/README.md)',
          },
        }
      : {}),
  }),
);
