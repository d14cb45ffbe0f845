/** Model-to-model comparisons: the layer-pair matrix per metric for neurons, SAE latents and SAE - neurons. */
import { get, send, type Model } from '../api';
import type { ComparisonMatrix } from '../api-types';
import { figure, heatCells, heatmapSpec, type Row } from '../charts';
import { h, select } from '../dom';
import { jobRow } from '../jobs';

/** baseline: the score of each target unit's training-mean prediction (absent from services before it). */
type CMatrix = Pick<ComparisonMatrix, 'sourceLayers' | 'targetLayers' | 'values' | 'sem'> &
  Partial<Pick<ComparisonMatrix, 'baseline'>>;

const METRICS = ['ridge', 'semi-matching', 'soft-matching', 'rsa', 'cka'];

export async function render(
  root: HTMLElement,
  params: URLSearchParams,
  _arg: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const models = (await get<{ items: Model[] }>('/v1/models?limit=1000', signal)).items;
  root.append(h('h1', {}, 'Comparisons between models'));
  if (!models.length) {
    root.append(h('p', { class: 'muted' }, 'No models registered yet.'));
    return;
  }
  const state = {
    source: params.get('source') ?? models[0].id,
    target: params.get('target') ?? (models[1] ?? models[0]).id,
    metric: params.get('metric') ?? 'soft-matching',
  };
  const opts = models.map((m) => ({ value: m.id, label: m.name }));
  root.append(
    h(
      'form',
      {
        class: 'controls',
        onchange: (e: Event) =>
          (location.hash =
            '#/comparisons?' +
            new URLSearchParams({
              ...state,
              [(e.target as HTMLSelectElement).name]: (e.target as HTMLSelectElement).value,
            })),
      },
      h('label', {}, 'source ', select('source', opts, state.source)),
      h('label', {}, 'target ', select('target', opts, state.target)),
      h(
        'label',
        {},
        'metric ',
        select(
          'metric',
          METRICS.map((m) => ({ value: m, label: m })),
          state.metric,
        ),
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      'Rows: source layers; columns: target layers. Cells: cross-validated score (mean over folds), hover for the sem.',
    ),
  );
  const q = (rep: string) =>
    `/v1/comparisons/matrix?${new URLSearchParams({ sourceModelId: state.source, targetModelId: state.target, metric: state.metric, representation: rep })}`;
  const [n, s] = await Promise.all([get<CMatrix>(q('neurons'), signal), get<CMatrix>(q('sae'), signal)]);
  const rows = n.sourceLayers.map((l) => l.name);
  const cols = n.targetLayers.map((l) => l.name);
  const diff = n.values.map((r, i) =>
    r.map((v, j) => (v === null || s.values[i]?.[j] == null ? null : s.values[i][j]! - v)),
  );
  const noSem = diff.map((r) => r.map(() => null));
  // Submit the cells this matrix lacks (every layer pair, neurons and SAE latents; identical requests are reused).
  const missing = (['neurons', 'sae'] as const)
    .flatMap((rep) =>
      n.sourceLayers.flatMap((sl, i) =>
        n.targetLayers.map((tl, j) =>
          (rep === 'neurons' ? n : s).values[i]?.[j] == null
            ? { rep, source: sl.id, target: tl.id, label: `${sl.name} vs ${tl.name} · ${rep}` }
            : null,
        ),
      ),
    )
    .filter((x) => x !== null);
  if (missing.length) {
    const jobs = h('div', { id: 'comparison-jobs' });
    const button = h('button', { type: 'button' }, `Compute the ${missing.length} missing cells`);
    button.addEventListener('click', async () => {
      button.disabled = true;
      let pending = 0;
      for (const c of missing) {
        try {
          const res = await send<{ jobId: string | null; status: string }>('POST', '/v1/comparisons', {
            source: { layerId: c.source, representation: c.rep },
            target: { layerId: c.target, representation: c.rep },
            metric: state.metric,
          });
          if (!res.jobId || res.status === 'succeeded') continue;
          pending++;
          jobs.append(
            jobRow(
              res.jobId,
              c.label,
              signal,
              () => --pending === 0 && window.dispatchEvent(new HashChangeEvent('hashchange')),
            ),
          );
        } catch (e) {
          jobs.append(h('p', { class: 'error' }, `${c.label}: ${(e as Error).message}`));
        }
      }
      if (!pending) window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    root.append(h('p', {}, button), jobs);
  }
  const grid = h('div', { class: 'heatmaps' });
  root.append(grid);
  const name = (id: string) => models.find((m) => m.id === id)?.name ?? id;
  for (const [title, values, sems, diverging, base] of [
    ['neurons', n.values, n.sem, false, n.baseline],
    ['SAE latents', s.values, s.sem, false, s.baseline],
    ['SAE - neurons', diff, noSem, true, undefined],
  ] as const) {
    // neurons and SAE latents on one colour scale; the difference centred at 0.
    const { cells, domain } = heatCells(
      rows,
      cols,
      values as (number | null)[][],
      sems as (number | null)[][],
      diverging,
      // The baseline differs between neuron and latent targets (cosine: ReLU'd units start high): read each value against its own.
      (i, j): Row => (base ? { baseline: base[i]?.[j] ?? null } : {}),
      diverging ? [] : [...n.values, ...s.values],
    );
    const section = h('section', { class: 'heat' }, h('h2', {}, title));
    grid.append(section);
    if (!cells.length) {
      section.append(h('p', { class: 'muted' }, 'Not computed for this pair and metric.'));
      continue;
    }
    const fig = await figure(
      `${name(state.source)}-vs-${name(state.target)}-${state.metric}-${title}`,
      `${state.metric}: ${name(state.source)} (rows) vs ${name(state.target)} (columns), ${title}`,
      heatmapSpec({
        rows,
        cols,
        rowTitle: name(state.source),
        colTitle: name(state.target),
        cells,
        domain,
        diverging,
        legend: state.metric,
        tooltip: base
          ? [{ field: 'baseline', title: 'baseline (training mean)', type: 'quantitative', format: '.4f' }]
          : undefined,
      }),
      { head: ['row', 'col', 'value', 'sem', ...(base ? ['baseline'] : [])], rows: cells },
    );
    section.append(fig.el);
  }
}
