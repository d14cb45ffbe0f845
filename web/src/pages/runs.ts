/**
 * Studies and runs: submit work (an alignment over layers; a study once the service has /v1/studies),
 * follow its jobs live (server-sent events, cancel), see results appear as jobs end, and list recent runs.
 */
import { ApiError, get, send, type Dataset, type Job, type Model, type Run, type ScoreItem } from '../api';
import { clear, fmt, h, select, table } from '../dom';
import { checks, FieldRows } from '../form';
import { jobRow } from '../jobs';

/** Jobs submitted from this tab, so a reload keeps following them. */
const TRACKED = 'brain-align.jobs';
type Tracked = { jobId: string; runId: string | null; label: string };
const tracked = {
  list: (): Tracked[] => JSON.parse(sessionStorage.getItem(TRACKED) ?? '[]'),
  add(t: Tracked[]) {
    const all = [...t, ...tracked.list().filter((x) => !t.some((y) => y.jobId === x.jobId))].slice(0, 50);
    sessionStorage.setItem(TRACKED, JSON.stringify(all));
  },
};

export async function render(root: HTMLElement, _params: URLSearchParams, _arg: string | undefined, signal: AbortSignal): Promise<void> {
  const [models, datasets] = await Promise.all([get<{ items: Model[] }>('/v1/models?limit=1000', signal), get<{ items: { id: string; name: string }[] }>('/v1/datasets?limit=1000', signal)]);
  root.append(h('h1', {}, 'Studies & runs'));

  const live = h('section', { id: 'live' }, h('h2', {}, 'Jobs from this tab'));
  const results = h('section', { id: 'results' });
  const follow = (t: Tracked) => {
    live.append(
      jobRow(t.jobId, t.label, signal, async (job: Job) => {
        if (job.state !== 'completed' || !t.runId) return;
        const run = await get<Run>(`/v1/runs/${t.runId}`);
        results.prepend(runResult(run, t.label));
      }),
    );
  };

  root.append(h('h2', {}, 'Submit an alignment'));
  if (!datasets.items.length || !models.items.length) {
    root.append(h('p', { class: 'muted' }, 'Register a dataset and a model with layers first (see the API docs at /docs).'));
  } else {
    root.append(await alignmentForm(models.items, datasets.items, signal, (submitted) => {
      tracked.add(submitted);
      for (const t of submitted) follow(t);
    }));
  }
  root.append(live, results);
  const mine = tracked.list();
  if (!mine.length) live.append(h('p', { class: 'muted', id: 'no-jobs' }, 'Nothing submitted from this tab yet.'));
  for (const t of mine) follow(t);

  root.append(await recentRuns(models.items, signal));
}

async function alignmentForm(models: Model[], datasets: { id: string; name: string }[], signal: AbortSignal, onSubmitted: (t: Tracked[]) => void): Promise<HTMLElement> {
  const form = h('form', { class: 'submit', novalidate: true, id: 'submit-form' });
  const rows = new FieldRows();
  const dsSelect = select('datasetId', datasets.map((d) => ({ value: d.id, label: d.name })), datasets[0].id, { id: 'f-dataset' });
  const subject = h('select', { name: 'subject', id: 'f-subject' });
  const atlas = h('select', { name: 'atlas', id: 'f-atlas' });
  const fill = async () => {
    const ds = await get<Dataset>(`/v1/datasets/${dsSelect.value}`, signal);
    clear(subject, ...ds.subjects.map((s) => h('option', { value: s.label }, `${s.label} (${s.images} images)`)));
    clear(atlas, ...ds.atlases.map((a) => h('option', { value: a.name }, a.name)));
  };
  dsSelect.addEventListener('change', () => void fill());
  await fill();
  const layerOptions = models.flatMap((m) => m.layers.map((l) => ({ value: l.id, label: `${m.name} / ${l.name} (${l.width})` })));
  const layers = checks('layerIds', layerOptions);
  const rep = select('representation', [{ value: 'neurons', label: 'neurons' }, { value: 'sae', label: 'SAE latents (newest ready SAE per layer)' }], 'neurons', { id: 'f-rep' });
  const preset = select('preset', ['paper', 'paper-centred', 'encoding'].map((p) => ({ value: p, label: p })), 'paper', { id: 'f-preset' });
  const k = h('input', { type: 'number', name: 'k', id: 'f-k', value: '5', style: 'width:5rem' });
  const seed = h('input', { type: 'number', name: 'seed', id: 'f-seed', value: '0', style: 'width:7rem' });
  const rois = h('input', { type: 'text', name: 'rois', id: 'f-rois', placeholder: 'all ROIs of the atlas' });
  rows.row(form, 'Dataset', 'datasetId', dsSelect);
  rows.row(form, 'Subject', 'subject', subject);
  rows.row(form, 'Atlas', 'atlas', atlas);
  rows.row(form, 'ROIs', 'rois', rois, 'comma-separated, e.g. V1v, hV4 (empty: every ROI with voxels)');
  rows.row(form, 'Layers', 'layerIds', layers.el, 'one run per layer');
  rows.row(form, 'Representation', 'representation', rep);
  rows.row(form, 'Preset', 'preset', preset);
  rows.row(form, 'Folds', 'folds', h('span', {}, 'k ', k, '  seed ', seed));
  const submit = h('button', { type: 'submit' }, 'Submit');
  form.append(h('span'), h('div', {}, submit, rows.general));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    rows.clear();
    const body = {
      datasetId: dsSelect.value,
      subject: subject.value,
      atlas: atlas.value,
      ...(rois.value.trim() ? { rois: rois.value.split(',').map((r) => r.trim()).filter(Boolean) } : {}),
      layerIds: layers.value(),
      representation: rep.value,
      preset: preset.value,
      folds: { k: k.valueAsNumber, seed: seed.valueAsNumber },
    };
    submit.disabled = true;
    try {
      const res = await send<{ runs: { id: string; layerId: string; jobId: string | null; status: string }[] }>('POST', '/v1/alignments', body);
      const label = (layerId: string) => `${layerOptions.find((o) => o.value === layerId)?.label.replace(/ \(\d+\)$/, '') ?? layerId} · ${rep.value} · ${subject.value}`;
      document.getElementById('no-jobs')?.remove();
      onSubmitted(res.runs.filter((r) => r.jobId).map((r) => ({ jobId: r.jobId!, runId: r.id, label: label(r.layerId) })));
    } catch (err) {
      rows.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function runResult(run: Run, label: string): HTMLElement {
  return h(
    'div',
    { class: 'card result', 'data-run': run.id },
    h('strong', {}, h('a', { href: `#/run/${run.id}` }, label)),
    table(['ROI', 'score', 'sem', 'voxels'], run.scores.map((s) => [s.roi, fmt(s.value, 4), fmt(s.sem, 4), s.nVoxels ?? '-'])),
  );
}

/** Finished runs, newest first, from their scores (one line per run). */
async function recentRuns(models: Model[], signal: AbortSignal): Promise<HTMLElement> {
  const scores = await get<{ items: ScoreItem[] }>('/v1/scores?kind=alignment&sort=-createdAt&limit=1000', signal).catch((e: ApiError) => ({ items: [], error: e }));
  const byRun = new Map<string, ScoreItem[]>();
  for (const s of scores.items) byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
  const modelName = new Map(models.map((m) => [m.id, m.name]));
  const rows = [...byRun.entries()].slice(0, 200).map(([id, ss]) => {
    const s = ss[0];
    const mean = ss.reduce((a, b) => a + b.value, 0) / ss.length;
    return [
      h('a', { href: `#/run/${id}` }, `${modelName.get(s.modelId ?? '') ?? ''} / ${s.layerName ?? '?'}`),
      s.representation === 'sae' ? 'SAE latents' : s.representation,
      s.subject ?? '-',
      s.atlas ?? '-',
      s.preset,
      String(ss.length),
      fmt(mean, 4),
      new Date(s.createdAt).toLocaleString(),
    ];
  });
  return h(
    'section',
    { id: 'recent' },
    h('h2', {}, 'Recent runs'),
    rows.length ? table(['layer', 'representation', 'subject', 'atlas', 'preset', 'ROIs', 'mean score', 'finished'], rows) : h('p', { class: 'muted' }, 'No finished runs yet.'),
  );
}
