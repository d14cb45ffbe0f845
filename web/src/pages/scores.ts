/**
 * Scores: for one model, dataset, subject (or the mean over subjects), atlas and preset, the layer x ROI
 * heatmaps of neurons, SAE latents and SAE - neurons, and the score-by-layer lines per ROI. Clicking a
 * cell opens its run's voxel map (the difference cell opens the pair's difference map).
 */
import { get, type Dataset, type Matrix, type Model, type ScoreItem } from '../api';
import { depthSpec, figure, heatCells, heatmapSpec, type Row } from '../charts';
import { fmt, h, select } from '../dom';

const REPS = [
  { rep: 'neurons', title: 'neurons', diverging: false },
  { rep: 'sae', title: 'SAE latents', diverging: false },
  { rep: 'difference', title: 'SAE - neurons', diverging: true },
] as const;
const MEAN = '__mean__';

export async function render(root: HTMLElement, params: URLSearchParams, _arg: string | undefined, signal: AbortSignal): Promise<void> {
  const [models, datasets, latest] = await Promise.all([
    get<{ items: Model[] }>('/v1/models?limit=1000', signal),
    get<{ items: { id: string; name: string }[] }>('/v1/datasets?limit=1000', signal),
    get<{ items: ScoreItem[] }>('/v1/scores?kind=alignment&limit=1', signal),
  ]);
  root.append(h('h1', {}, 'Layer x ROI scores'));
  if (!models.items.length || !datasets.items.length || !latest.items.length) {
    root.append(h('p', {}, 'No alignment scores yet. Submit runs on ', h('a', { href: '#/runs' }, 'Studies & runs'), ' (or run ', h('code', {}, 'npm run demo'), ').'));
    return;
  }
  // Defaults: what the newest score was computed on.
  const last = latest.items[0];
  const state = {
    model: params.get('model') ?? last.modelId ?? models.items[0].id,
    dataset: params.get('dataset') ?? last.datasetId ?? datasets.items[0].id,
    subject: params.get('subject') ?? last.subject ?? '',
    atlas: params.get('atlas') ?? last.atlas ?? '',
    preset: params.get('preset') ?? last.preset,
  };
  const ds = await get<Dataset>(`/v1/datasets/${state.dataset}`, signal);
  const subjects = ds.subjects.map((s) => s.label);
  const go = (patch: Partial<typeof state>) => {
    location.hash = '#/?' + new URLSearchParams({ ...state, ...patch }).toString();
  };
  const controls = h(
    'form',
    { class: 'controls', onchange: (e: Event) => go({ [(e.target as HTMLSelectElement).name]: (e.target as HTMLSelectElement).value }) },
    h('label', {}, 'model ', select('model', models.items.map((m) => ({ value: m.id, label: m.name })), state.model)),
    h('label', {}, 'dataset ', select('dataset', datasets.items.map((d) => ({ value: d.id, label: d.name })), state.dataset)),
    h('label', {}, 'subject ', select('subject', [...subjects.map((s) => ({ value: s, label: s })), ...(subjects.length > 1 ? [{ value: MEAN, label: `mean over ${subjects.length} subjects` }] : [])], state.subject)),
    h('label', {}, 'atlas ', select('atlas', ds.atlases.map((a) => ({ value: a.name, label: a.name })), state.atlas)),
    h('label', {}, 'preset ', select('preset', ['paper', 'paper-centred', 'encoding'].map((p) => ({ value: p, label: p })), state.preset)),
  );
  root.append(controls);

  const model = models.items.find((m) => m.id === state.model)!;
  const mean = state.subject === MEAN;
  const q = (subject: string, rep: string) =>
    `/v1/scores/matrix?${new URLSearchParams({ modelId: state.model, datasetId: state.dataset, subject, atlas: state.atlas, preset: state.preset, representation: rep })}`;
  const matrices = await Promise.all(
    REPS.map(async ({ rep }) => (mean ? meanOverSubjects(await Promise.all(subjects.map((s) => get<Matrix>(q(s, rep), signal)))) : get<Matrix>(q(state.subject, rep), signal))),
  );
  const layers = matrices[0].layers.map((l) => l.name);
  const rois = [...new Set(matrices.flatMap((m) => m.rois))];
  const scope = `${model.name}, ${mean ? `mean over ${subjects.join(', ')}` : state.subject}, ${state.atlas}, ${state.preset}`;
  root.append(
    h('p', { class: 'muted' }, mean
      ? 'Cells: mean over subjects; hover for the sem across subjects. Pick one subject to open voxel maps.'
      : 'Cells: mean over folds of the fold score; hover for the sem across folds and the 95% interval (value ± 1.96 sem). Click a cell to open its voxel map.'),
  );
  const grid = h('div', { class: 'heatmaps' });
  root.append(grid);
  for (const [k, { rep, title, diverging }] of REPS.entries()) {
    const m = matrices[k];
    const values = layers.map((_, i) => rois.map((r) => m.values[i]?.[m.rois.indexOf(r)] ?? null));
    const sems = layers.map((_, i) => rois.map((r) => m.sem[i]?.[m.rois.indexOf(r)] ?? null));
    // neurons and SAE latents share one colour scale; the difference has its own, centred at 0.
    const shared = diverging ? [] : matrices.slice(0, 2).flatMap((x) => x.values);
    const { cells, domain } = heatCells(layers, rois, values, sems, diverging, (i) => ({ layerId: m.layers[i].id }), shared);
    const section = h('section', { class: 'heat', id: `heat-${rep}`, 'data-rep': rep });
    grid.append(section);
    if (!cells.length) {
      section.append(h('h2', {}, title), h('p', { class: 'muted' }, 'No scores for this selection.'));
      continue;
    }
    const fig = await figure(
      `${model.name}-${mean ? 'mean' : state.subject}-${state.atlas}-${rep}`,
      `${title} (${scope})`,
      heatmapSpec({ rows: layers, cols: rois, rowTitle: 'layer', colTitle: 'ROI', cells, domain, diverging, legend: diverging ? 'SAE - neurons' : 'score' }),
      { head: ['row', 'col', 'value', 'sem', 'lo', 'hi'], rows: cells },
      mean ? undefined : (d) => void openCell(state, String(d.layerId), String(d.col), rep),
    );
    section.append(h('h2', {}, title), fig.el);
  }

  // Depth trends: score by layer per ROI, neurons vs SAE latents, +-1 sem.
  const lines: Row[] = [];
  for (const [k, name] of [[0, 'neurons'], [1, 'SAE latents']] as const) {
    const m = matrices[k];
    m.layers.forEach((l, i) =>
      m.rois.forEach((roi, j) => {
        const v = m.values[i][j];
        const s = m.sem[i][j];
        if (v !== null) lines.push({ layer: l.name, roi, representation: name, value: v, sem: s, lo: v - (s ?? 0), hi: v + (s ?? 0) });
      }),
    );
  }
  if (lines.length) {
    const fig = await figure(`${model.name}-${mean ? 'mean' : state.subject}-${state.atlas}-depth`, `Score by layer per ROI, neurons vs SAE latents, error bars ± 1 sem (${scope})`, depthSpec(lines, layers, rois), {
      head: ['roi', 'layer', 'representation', 'value', 'sem'],
      rows: lines,
    });
    root.append(h('section', { id: 'depth' }, h('h2', {}, 'Depth trends'), fig.el));
  }
  root.append(summary(layers, rois, matrices));
}

/** One line per ROI: the best layer for neurons and for SAE latents (the paper's headline reading). */
function summary(layers: string[], rois: string[], [n, s, d]: Matrix[]): HTMLElement {
  const best = (m: Matrix, j: number) => {
    let bi = -1;
    m.values.forEach((row, i) => {
      if (row[j] !== null && (bi < 0 || row[j]! > m.values[bi][j]!)) bi = i;
    });
    return bi < 0 ? '-' : `${layers[bi]} (${fmt(m.values[bi][j])})`;
  };
  const rows = rois.map((r) => {
    const j = (m: Matrix) => m.rois.indexOf(r);
    const diffs = d.values.map((row) => row[j(d)]).filter((v): v is number => v !== null);
    const wins = diffs.filter((v) => v > 0).length;
    return [r, best(n, j(n)), best(s, j(s)), diffs.length ? `${wins} of ${diffs.length}` : '-'];
  });
  const t = h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'ROI'), h('th', {}, 'best layer, neurons'), h('th', {}, 'best layer, SAE'), h('th', {}, 'layers where SAE > neurons'))));
  t.append(h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
  return h('section', {}, h('h2', {}, 'Summary'), t);
}

/** Mean over subjects per cell (cells every subject has), with the sem across subjects. */
function meanOverSubjects(ms: Matrix[]): Matrix {
  const rois = [...new Set(ms.flatMap((m) => m.rois))];
  const layers = ms[0].layers;
  const values: (number | null)[][] = [];
  const sem: (number | null)[][] = [];
  layers.forEach((_, i) => {
    values.push([]);
    sem.push([]);
    for (const r of rois) {
      const xs = ms.map((m) => (m.rois.includes(r) ? m.values[i][m.rois.indexOf(r)] : null));
      if (xs.some((x) => x === null)) {
        values[i].push(null);
        sem[i].push(null);
        continue;
      }
      const v = xs as number[];
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      values[i].push(mu);
      sem[i].push(v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1) / v.length) : null);
    }
  });
  return { layers, rois, values, sem };
}

/** The newest run behind a cell (the matrix shows the newest score per layer, representation and ROI). */
export async function runFor(state: { dataset: string; subject: string; atlas: string; preset: string }, layerId: string, roi: string, representation: string): Promise<string | null> {
  const qs = new URLSearchParams({ kind: 'alignment', layerId, datasetId: state.dataset, subject: state.subject, atlas: state.atlas, preset: state.preset, roi, representation, sort: '-createdAt', limit: '1' });
  const r = await get<{ items: ScoreItem[] }>(`/v1/scores?${qs}`);
  return r.items[0]?.runId ?? null;
}

async function openCell(state: { dataset: string; subject: string; atlas: string; preset: string }, layerId: string, roi: string, rep: string): Promise<void> {
  if (rep !== 'difference') {
    const id = await runFor(state, layerId, roi, rep);
    if (id) location.hash = `#/run/${id}?roi=${encodeURIComponent(roi)}`;
    return;
  }
  const [n, s] = await Promise.all([runFor(state, layerId, roi, 'neurons'), runFor(state, layerId, roi, 'sae')]);
  if (n && s) location.hash = `#/run/${s}?minus=${n}&roi=${encodeURIComponent(roi)}`;
}

