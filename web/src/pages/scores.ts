/**
 * Scores: for one model, dataset, subject (or the mean over subjects), atlas and preset, the layer x ROI
 * heatmaps of neurons, SAE latents and SAE - neurons, and the score-by-layer lines per ROI. Clicking a
 * cell opens its run's voxel map (the difference cell opens the pair's difference map).
 */
import { get, type Dataset, type Matrix, type Model, type ScoreItem } from '../api';
import { h, select } from '../dom';
import { matrixView, meanOverSubjects, REPS } from '../matrix-view';
import { roiQuantity } from '../quantity';

const MEAN = '__mean__';

export async function render(
  root: HTMLElement,
  params: URLSearchParams,
  _arg: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const [models, datasets, latest] = await Promise.all([
    get<{ items: Model[] }>('/v1/models?limit=1000', signal),
    get<{ items: { id: string; name: string }[] }>('/v1/datasets?limit=1000', signal),
    get<{ items: ScoreItem[] }>('/v1/scores?kind=alignment&limit=1', signal),
  ]);
  root.append(h('h1', {}, 'Layer x ROI scores'));
  if (!models.items.length || !datasets.items.length || !latest.items.length) {
    root.append(
      h(
        'p',
        {},
        'No alignment scores yet. Submit runs on ',
        h('a', { href: '#/runs' }, 'Studies & runs'),
        ' (or run ',
        h('code', {}, 'npm run demo'),
        ').',
      ),
    );
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
    location.hash = `#/?${new URLSearchParams({ ...state, ...patch }).toString()}`;
  };
  const controls = h(
    'form',
    {
      class: 'controls',
      onchange: (e: Event) => go({ [(e.target as HTMLSelectElement).name]: (e.target as HTMLSelectElement).value }),
    },
    h(
      'label',
      {},
      'model ',
      select(
        'model',
        models.items.map((m) => ({ value: m.id, label: m.name })),
        state.model,
      ),
    ),
    h(
      'label',
      {},
      'dataset ',
      select(
        'dataset',
        datasets.items.map((d) => ({ value: d.id, label: d.name })),
        state.dataset,
      ),
    ),
    h(
      'label',
      {},
      'subject ',
      select(
        'subject',
        [
          ...subjects.map((s) => ({ value: s, label: s })),
          ...(subjects.length > 1 ? [{ value: MEAN, label: `mean over ${subjects.length} subjects` }] : []),
        ],
        state.subject,
      ),
    ),
    h(
      'label',
      {},
      'atlas ',
      select(
        'atlas',
        ds.atlases.map((a) => ({ value: a.name, label: a.name })),
        state.atlas,
      ),
    ),
    h(
      'label',
      {},
      'preset ',
      select(
        'preset',
        ['paper', 'paper-centred', 'encoding', 'centred-own-means', 'unit-norm-columns'].map((p) => ({
          value: p,
          label: p,
        })),
        state.preset,
      ),
    ),
  );
  root.append(controls);

  const model = models.items.find((m) => m.id === state.model)!;
  const mean = state.subject === MEAN;
  const q = (subject: string, rep: string) =>
    `/v1/scores/matrix?${new URLSearchParams({ modelId: state.model, datasetId: state.dataset, subject, atlas: state.atlas, preset: state.preset, representation: rep })}`;
  const matrices = await Promise.all(
    REPS.map(async ({ rep }) =>
      mean
        ? meanOverSubjects(await Promise.all(subjects.map((s) => get<Matrix>(q(s, rep), signal))))
        : get<Matrix>(q(state.subject, rep), signal),
    ),
  );
  const scope = `${model.name}, ${mean ? `mean over ${subjects.join(', ')}` : state.subject}, ${state.atlas}, ${state.preset}`;
  root.append(
    h(
      'p',
      { class: 'muted' },
      mean
        ? 'Cells: mean over subjects; hover for the sem across subjects. Pick one subject to open voxel maps.'
        : 'Cells: mean over folds of the fold score; hover for the sem across folds and the 95% interval (value ± 1.96 sem). Click a cell to open its voxel map.',
    ),
  );
  await matrixView(root, matrices, {
    name: `${model.name}-${mean ? 'mean' : state.subject}-${state.atlas}`,
    scope,
    quantity: roiQuantity(state.preset),
    onCell: mean ? undefined : (layerId, roi, rep) => void openCell(state, layerId, roi, rep),
  });
}

/** The newest run behind a cell (the matrix shows the newest score per layer, representation and ROI). */
export async function runFor(
  state: { dataset: string; subject: string; atlas: string; preset: string },
  layerId: string,
  roi: string,
  representation: string,
): Promise<string | null> {
  const qs = new URLSearchParams({
    kind: 'alignment',
    layerId,
    datasetId: state.dataset,
    subject: state.subject,
    atlas: state.atlas,
    preset: state.preset,
    roi,
    representation,
    sort: '-createdAt',
    limit: '1',
  });
  const r = await get<{ items: ScoreItem[] }>(`/v1/scores?${qs}`);
  return r.items[0]?.runId ?? null;
}

async function openCell(
  state: { dataset: string; subject: string; atlas: string; preset: string },
  layerId: string,
  roi: string,
  rep: string,
): Promise<void> {
  if (rep !== 'difference') {
    const id = await runFor(state, layerId, roi, rep);
    if (id) location.hash = `#/run/${id}?roi=${encodeURIComponent(roi)}`;
    return;
  }
  const [n, s] = await Promise.all([runFor(state, layerId, roi, 'neurons'), runFor(state, layerId, roi, 'sae')]);
  if (n && s) location.hash = `#/run/${s}?minus=${n}&roi=${encodeURIComponent(roi)}`;
}
