/**
 * `npm run toy [-- --steps 10000 --samples 8388608 --hidden 8,16,32 --replicates 5 --no-ridge --json]`: the toy
 * model of superposition (science.md) in this process, with a progress bar, printing per N the matching scores
 * between the two models' neurons and between their SAE latents, and how close units are to the ground-truth
 * features (replicate 0), then per N the mean over replicates with its 95% t interval. No database needed.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { runToySuperposition, type ToySuperpositionResult } from '../toy/experiment';
import type { ReplicateInterval, ReplicateStatistic } from '../toy/replicates';

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3);
}

/** One line per N: the paper's numbers (feature overlap, shared features, soft-matching neurons vs SAE) first. */
export function formatToyTable(r: ToySuperpositionResult): string {
  const head = [
    'N',
    'shared',
    'overlap',
    'soft neurons',
    'soft SAE',
    'soft randSAE',
    'semi neurons',
    'semi SAE',
    'ridge neurons',
    'ridge SAE',
    'GT max r/feat N',
    'GT max r/feat SAE',
    'GT |r|/unit N',
    'GT |r|/unit SAE',
  ];
  const ridge = (x: unknown) => (x && typeof x === 'object' && 'mean' in x ? (x as { mean: number }).mean : undefined);
  const avg = (p: [number, number]) => (p[0] + p[1]) / 2;
  const rows = r.results.map((h) => [
    String(h.nHidden),
    String(h.overlap.shared),
    fmt(h.overlap.mean),
    fmt(h.neurons.softMatching.mean),
    fmt(h.saeLatents.softMatching.mean),
    fmt(h.randomSae.softMatching.mean),
    fmt(h.neurons.semiMatching.mean),
    fmt(h.saeLatents.semiMatching.mean),
    fmt(ridge(h.neurons.ridge)),
    fmt(ridge(h.saeLatents.ridge)),
    fmt(avg(h.groundTruth.neurons.meanPerFeatureMax)),
    fmt(avg(h.groundTruth.saeLatents.meanPerFeatureMax)),
    fmt(avg(h.groundTruth.neurons.meanPerUnitBestAbs)),
    fmt(avg(h.groundTruth.saeLatents.meanPerUnitBestAbs)),
  ]);
  const w = head.map((c, i) => Math.max(c.length, ...rows.map((r2) => r2[i].length)) + 2);
  return [head, ...rows].map((r2) => r2.map((c, i) => c.padStart(w[i])).join('')).join('\n');
}

const SUMMARY_COLUMNS: [string, ReplicateStatistic][] = [
  ['soft neurons', 'softNeurons'],
  ['soft SAE', 'softSae'],
  ['soft randSAE', 'softRandomSae'],
  ['SAE - neurons', 'softSaeMinusNeurons'],
  ['SAE - randSAE', 'softSaeMinusRandomSae'],
  ['ridge neurons', 'ridgeNeurons'],
  ['ridge SAE', 'ridgeSae'],
  ['shared', 'sharedFeatures'],
];

/** Per N: mean [95% t interval] over replicates of the headline statistics. */
export function formatReplicateTable(r: ToySuperpositionResult): string {
  const cols = SUMMARY_COLUMNS.filter(([, k]) => r.summary.some((s) => s.statistics[k]));
  const cell = (x: ReplicateInterval | undefined) =>
    !x ? '-' : Number.isFinite(x.lower) ? `${fmt(x.mean)} [${fmt(x.lower)}, ${fmt(x.upper)}]` : fmt(x.mean);
  const head = ['N', 'reps', ...cols.map(([h]) => h)];
  const rows = r.summary.map((s) => [
    String(s.nHidden),
    String(s.replicates),
    ...cols.map(([, k]) => cell(s.statistics[k])),
  ]);
  const w = head.map((c, i) => Math.max(c.length, ...rows.map((r2) => r2[i].length)) + 2);
  return [head, ...rows].map((r2) => r2.map((c, i) => c.padStart(w[i])).join('')).join('\n');
}

export async function runToyCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: 'string' },
      samples: { type: 'string' },
      hidden: { type: 'string' },
      seeds: { type: 'string' },
      replicates: { type: 'string' },
      'no-ridge': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${v}"`);
    return n;
  };
  const options = {
    ...(values.steps ? { modelSteps: num('steps', values.steps) } : {}),
    ...(values.samples ? { samples: num('samples', values.samples) } : {}),
    ...(values.hidden ? { hiddenSizes: values.hidden.split(',').map((s) => num('hidden', s)!) } : {}),
    ...(values.seeds ? { seeds: values.seeds.split(',').map((s) => Number(s)) as [number, number] } : {}),
    ...(values.replicates ? { replicates: num('replicates', values.replicates) } : {}),
    ...(values['no-ridge'] ? { ridge: false } : {}),
  };
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | N={n} {stage}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { n: '-', stage: 'starting' });
  const started = Date.now();
  const result = await runToySuperposition(options, (p) => {
    bar.setTotal(Math.max(1, p.total));
    bar.update(p.done, { n: p.nHidden, stage: `${p.stage}${p.replicate ? ` (replicate ${p.replicate})` : ''}` });
  });
  bar.stop();
  if (values.json) console.log(JSON.stringify(result, null, 1));
  else {
    console.log(
      `\nToy model of superposition (${result.options.nFeatures} features, ${result.options.modelSteps} steps, ${result.options.samples} samples, ${result.replicates.length} replicates, backend ${result.backend})`,
    );
    console.log(
      'shared: features with ||W_A,i|| ||W_B,i|| >= 1; overlap: its mean. soft/semi/ridge: cross-validated A -> B (mean over folds); randSAE: untrained SAE of A -> SAE of B.',
    );
    console.log(
      "GT max r/feat: per feature the max signed Pearson r over units (the paper's statistic); GT |r|/unit: per unit the best |r| over features (mean of models A and B).\n",
    );
    console.log(`Replicate 0 (seeds ${result.options.seeds.join(' vs ')}, SAE seed ${result.options.sae.seed}):\n`);
    console.log(formatToyTable(result));
    console.log(
      `\nOver ${result.replicates.length} replicates (model seeds + 2r, SAE seed + r, same data set): mean [95% t interval]\n`,
    );
    console.log(formatReplicateTable(result));
    console.log(
      `\ndata set ${result.dataSeconds.toFixed(1)} s; per N (replicate 0): ${result.results.map((h) => `${h.nHidden}: ${h.seconds.toFixed(1)} s`).join(', ')}`,
    );
    console.log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return 0;
}
