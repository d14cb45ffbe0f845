/**
 * The toy superposition experiment (the paper's Figure 2): soft-matching (and semi-matching) between two
 * toy models, neurons vs SAE latents, per hidden size N, and how many ground-truth features both share.
 */
import { get, send, type Job } from '../api';
import type { Experiment as ExperimentJson } from '../api-types';
import { barsSpec, figure, type Row } from '../charts';
import { fmt, h, table } from '../dom';
import { FieldRows } from '../form';
import { jobRow } from '../jobs';

const RECENT = 'brain-align.experiments';

interface Cv {
  mean: number;
  sem: number;
}
/** Per model [A, B]: the mean over features of the max signed r over units (the paper's statistic), and the per-unit best |r|. */
interface GroundTruth {
  meanPerFeatureMax: [number, number];
  meanPerUnitBestAbs: [number, number];
}
interface ToyResult {
  results: {
    nHidden: number;
    sae: { fvu: number; meanL0: number; deadFraction: number }[];
    neurons: { semiMatching: Cv; softMatching: Cv };
    saeLatents: { semiMatching: Cv; softMatching: Cv };
    /** Untrained SAE of model A -> trained SAE of model B (the authors' "Rand SAE" control); older results lack it. */
    randomSae?: { softMatching: Cv };
    groundTruth: { neurons: GroundTruth; saeLatents: GroundTruth };
    overlap: { mean: number; median: number; shared: number; perFeature: number[] };
  }[];
}
/** GET /v1/experiments/{id}, its result read as the toy experiment's. */
type Experiment = Omit<ExperimentJson, 'result'> & { result: ToyResult | null };

export async function render(
  root: HTMLElement,
  params: URLSearchParams,
  _arg: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  root.append(h('h1', {}, 'Toy superposition experiment'));
  const recent: string[] = JSON.parse(localStorage.getItem(RECENT) ?? '[]');
  const id = params.get('id') ?? recent[0];
  root.append(form(signal));
  if (recent.length)
    root.append(
      h(
        'p',
        {},
        'Experiments from this browser: ',
        ...recent.map((r) => [h('a', { href: `#/toy?id=${r}` }, r.slice(0, 8)), ' ']),
      ),
    );
  if (!id) {
    root.append(
      h(
        'p',
        { class: 'muted' },
        'Run an experiment (small settings finish in about a minute here), or open one with #/toy?id=<experiment id>.',
      ),
    );
    return;
  }
  const exp = await get<Experiment>(`/v1/experiments/${id}`, signal);
  root.append(h('h2', {}, `Experiment ${exp.id.slice(0, 8)} · ${exp.status}`));
  if (exp.error) root.append(h('p', { class: 'error' }, exp.error));
  if (exp.jobId && ['queued', 'running'].includes(exp.status)) {
    root.append(
      jobRow(exp.jobId, 'toy experiment', signal, () => window.dispatchEvent(new HashChangeEvent('hashchange'))),
    );
  }
  if (!exp.result) return;
  const res = exp.result.results;
  const bars: Row[] = [];
  for (const r of res) {
    for (const [metric, key] of [
      ['soft-matching', 'softMatching'],
      ['semi-matching', 'semiMatching'],
    ] as const) {
      for (const [rep, side] of [
        ['neurons', r.neurons],
        ['SAE latents', r.saeLatents],
      ] as const) {
        const cv = side[key];
        bars.push({
          N: r.nHidden,
          metric,
          representation: rep,
          value: cv.mean,
          sem: cv.sem,
          lo: cv.mean - cv.sem,
          hi: cv.mean + cv.sem,
        });
      }
    }
    const rand = r.randomSae?.softMatching;
    if (rand)
      bars.push({
        N: r.nHidden,
        metric: 'soft-matching',
        representation: 'Rand SAE -> SAE',
        value: rand.mean,
        sem: rand.sem,
        lo: rand.mean - rand.sem,
        hi: rand.mean + rand.sem,
      });
  }
  const fig = await figure(
    `toy-${exp.id.slice(0, 8)}-matching`,
    'Model A vs model B per hidden size N: neurons vs SAE latents (mean over folds ± 1 sem)',
    barsSpec(bars, {
      x: 'N',
      xTitle: 'hidden neurons N',
      y: 'value',
      yTitle: 'score',
      group: 'representation',
      column: 'metric',
      columnSort: ['soft-matching', 'semi-matching'],
    }),
    {
      head: ['N', 'metric', 'representation', 'value', 'sem'],
      rows: bars,
    },
  );
  root.append(fig.el);
  root.append(
    h('h2', {}, 'Shared features and ground truth'),
    table(
      [
        'N',
        'features shared by both models',
        'mean overlap',
        'ground truth, per feature max r: neurons A / B',
        'SAE latents A / B',
        'per unit best |r|: neurons A / B',
        'SAE latents A / B',
        'SAE FVU A / B',
        'SAE L0 A / B',
      ],
      res.map((r) => [
        String(r.nHidden),
        `${r.overlap.shared} of ${r.overlap.perFeature.length}`,
        fmt(r.overlap.mean),
        r.groundTruth.neurons.meanPerFeatureMax.map((v) => fmt(v)).join(' / '),
        r.groundTruth.saeLatents.meanPerFeatureMax.map((v) => fmt(v)).join(' / '),
        r.groundTruth.neurons.meanPerUnitBestAbs.map((v) => fmt(v)).join(' / '),
        r.groundTruth.saeLatents.meanPerUnitBestAbs.map((v) => fmt(v)).join(' / '),
        r.sae.map((s) => fmt(s.fvu)).join(' / '),
        r.sae.map((s) => fmt(s.meanL0, 2)).join(' / '),
      ]),
    ),
  );
}

function form(signal: AbortSignal): HTMLElement {
  const f = h('form', { class: 'submit', novalidate: true, id: 'toy-form' });
  const rows = new FieldRows();
  const sizes = h('input', { type: 'text', name: 'hiddenSizes', value: '8, 16' });
  const steps = h('input', { type: 'number', name: 'modelSteps', value: '1500' });
  const samples = h('input', { type: 'number', name: 'samples', value: '65536' });
  rows.row(f, 'Hidden sizes N', 'hiddenSizes', sizes, 'paper: 8, 16, 32');
  rows.row(f, 'Model steps', 'modelSteps', steps, 'paper: 10,000');
  rows.row(f, 'Samples', 'samples', samples, 'paper: 8,388,608');
  const status = h('div', {});
  f.append(h('span'), h('div', {}, h('button', { type: 'submit' }, 'Run experiment'), rows.general, status));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    rows.clear();
    try {
      const exp = await send<Experiment>('POST', '/v1/experiments/toy-superposition', {
        hiddenSizes: sizes.value.split(',').map((x) => Number(x.trim())),
        modelSteps: steps.valueAsNumber,
        samples: samples.valueAsNumber,
      });
      const recent: string[] = JSON.parse(localStorage.getItem(RECENT) ?? '[]');
      localStorage.setItem(RECENT, JSON.stringify([exp.id, ...recent.filter((r) => r !== exp.id)].slice(0, 20)));
      status.replaceChildren(
        jobRow(exp.jobId!, `experiment ${exp.id.slice(0, 8)}`, signal, (job: Job) => {
          if (job.state === 'completed') location.hash = `#/toy?id=${exp.id}`;
        }),
      );
    } catch (err) {
      rows.show(err);
    }
  });
  return f;
}
