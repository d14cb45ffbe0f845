/**
 * `npx tsx bench/toy.ts`: the toy experiment (src/toy) at the paper's settings by default (10,000 model steps,
 * 2^23 samples, N = 8, 16, 32), printing one JSON line: wall and CPU (user + system) seconds in total and per
 * stage, the native/BLAS state and the machine's load average at the start (on a shared machine wall time is CPU
 * time divided by the share the scheduler gives this process). Narrow it with TOY_STEPS, TOY_SAMPLES, TOY_HIDDEN
 * (comma-separated), TOY_RIDGE=0.
 */
import { loadavg } from 'node:os';
import { linalgInfo } from '../src/compute/linalg/native';
import { runToySuperposition, type ToyProgress } from '../src/toy/experiment';

const env = (k: string) => process.env[k];
const options = {
  ...(env('TOY_STEPS') ? { modelSteps: Number(env('TOY_STEPS')) } : {}),
  ...(env('TOY_SAMPLES') ? { samples: Number(env('TOY_SAMPLES')) } : {}),
  ...(env('TOY_HIDDEN') ? { hiddenSizes: env('TOY_HIDDEN')!.split(',').map(Number) } : {}),
  ...(env('TOY_RIDGE') === '0' ? { ridge: false } : {}),
};

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const stages: Record<string, { wall: number; cpu: number }> = {};
let current = '';
let wall0 = performance.now();
let cpu0 = cpu();
const close = () => {
  if (!current) return;
  const s = (stages[current] ??= { wall: 0, cpu: 0 });
  s.wall += (performance.now() - wall0) / 1000;
  s.cpu += cpu() - cpu0;
};
const load = loadavg()[0];
const t0 = performance.now();
const c0 = cpu();
const result = await runToySuperposition(options, (p: ToyProgress) => {
  const key = p.stage === 'data' ? 'data' : `N${p.nHidden}:${p.stage}`;
  if (key === current) return;
  close();
  current = key;
  wall0 = performance.now();
  cpu0 = cpu();
});
close();
const round = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    case: 'toy',
    steps: result.options.modelSteps,
    samples: result.options.samples,
    hidden: result.options.hiddenSizes,
    wallSeconds: round((performance.now() - t0) / 1000),
    cpuSeconds: round(cpu() - c0),
    loadAverageAtStart: round(load),
    linalg: linalgInfo(),
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { wall: round(v.wall), cpu: round(v.cpu) }])),
    softMatching: result.results.map((r) => ({ n: r.nHidden, neurons: r.neurons.softMatching.mean, sae: r.saeLatents.softMatching.mean })),
  }),
);
